import { FlagsNew, rt } from 'netlink';
import { InvalidAddressError } from './errors.js';
import {
  afOf,
  bytesToIp,
  formatCidr,
  ipFamily,
  ipToBytes,
  networkOf,
  parseCidr,
  type IpFamily,
} from './ip-address.js';
import { linkIndex, type LinkRef } from './link.js';
import { enumValue } from './netlink-attrs.js';
import type { Rtnl } from './rtnl.js';

/** Routing table ids and scopes as the kernel numbers them. */
export const TABLE_MAIN = 254;
export const RTPROT_STATIC = 4;
export type RouteScope = 'universe' | 'link' | 'host';
const SCOPES: Record<RouteScope, number> = { universe: 0, link: 253, host: 254 };
// RTNH_F_ONLINK: the gateway is reachable on this device without a covering prefix route.
const RTNH_F_ONLINK = 4;

export interface RouteSpec {
  /** Destination prefix (`10.244.2.0/24`, `default`); normalized to its network address. */
  dst: string;
  gateway?: string;
  dev?: LinkRef;
  onlink?: boolean;
  scope?: RouteScope;
  /** Who installed the route (RTPROT_*); a reconciler marks its own routes with a number of its own. */
  protocol?: number;
  table?: number;
  metric?: number;
  /** Preferred source address. */
  src?: string;
}

export interface Route {
  dst: string;
  family: IpFamily;
  gateway: string | undefined;
  /** Output device index. */
  dev: number | undefined;
  onlink: boolean;
  scope: number;
  protocol: number;
  table: number;
  metric: number | undefined;
  src: string | undefined;
  /** RTN_* (1 unicast, 2 local, 3 broadcast, ...). */
  type: number;
}

export async function listRoutes(
  nl: Rtnl,
  filter: { family?: IpFamily; table?: number; protocol?: number } = {},
): Promise<Route[]> {
  const families = filter.family === undefined ? ([4, 6] as const) : [filter.family];
  const table = filter.table ?? TABLE_MAIN;
  const routes: Route[] = [];
  for (const family of families) {
    const messages = await nl.read('list routes', (s) => s.getRoutes({ family: afOf(family) }));
    for (const m of messages) {
      const r = parseRoute(m, family);
      if (r.table !== table) continue;
      if (filter.protocol !== undefined && r.protocol !== filter.protocol) continue;
      routes.push(r);
    }
  }
  return routes;
}

/** Adds a route; with `replace` an existing route to the same prefix/table/metric is overwritten. */
export async function addRoute(
  nl: Rtnl,
  spec: RouteSpec,
  options: { replace?: boolean } = {},
): Promise<void> {
  const { data, attrs } = await encode(nl, spec);
  const flags = FlagsNew.CREATE | (options.replace ? FlagsNew.REPLACE : FlagsNew.EXCL);
  await nl.write(`${options.replace ? 'replace' : 'add'} route ${describe(spec)}`, (s) =>
    s.newRoute(data, attrs, { flags }),
  );
}

export async function deleteRoute(nl: Rtnl, spec: RouteSpec): Promise<void> {
  const { data, attrs } = await encode(nl, spec);
  await nl.write(`delete route ${describe(spec)}`, (s) => s.delRoute(data, attrs));
}

async function encode(
  nl: Rtnl,
  spec: RouteSpec,
): Promise<{ data: rt.Route; attrs: rt.RouteAttrs }> {
  const dst = destination(spec.dst, spec.gateway);
  if (spec.gateway !== undefined && ipFamily(spec.gateway) !== dst.family) {
    throw new InvalidAddressError(
      `gateway ${spec.gateway} is not in the family of ${spec.dst}`,
      spec.gateway,
    );
  }
  const table = spec.table ?? TABLE_MAIN;
  const scope =
    spec.scope ?? (spec.gateway === undefined && spec.dev !== undefined ? 'link' : 'universe');
  const attrs: rt.RouteAttrs = { table };
  if (dst.prefixLength > 0) attrs.dst = ipToBytes(dst.address);
  if (spec.gateway !== undefined) attrs.gateway = ipToBytes(spec.gateway);
  if (spec.dev !== undefined) attrs.oif = await linkIndex(nl, spec.dev);
  if (spec.metric !== undefined) attrs.priority = spec.metric;
  if (spec.src !== undefined) attrs.prefsrc = ipToBytes(spec.src);
  const data: rt.Route = {
    family: afOf(dst.family),
    dstLen: dst.prefixLength,
    table: table < 256 ? table : 252,
    protocol: spec.protocol ?? RTPROT_STATIC,
    scope: SCOPES[scope],
    type: rt.RouteType.UNICAST,
    flags: spec.onlink ? { __unknown: RTNH_F_ONLINK } : {},
  };
  return { data, attrs };
}

function destination(dst: string, gateway: string | undefined): ReturnType<typeof networkOf> {
  if (dst === 'default') {
    const family = gateway === undefined ? 4 : ipFamily(gateway);
    return { address: family === 4 ? '0.0.0.0' : '::', prefixLength: 0, family };
  }
  return networkOf(parseCidr(dst));
}

function describe(spec: RouteSpec): string {
  const parts = [spec.dst];
  if (spec.gateway) parts.push(`via ${spec.gateway}`);
  if (spec.dev !== undefined) parts.push(`dev ${spec.dev}`);
  if (spec.onlink) parts.push('onlink');
  if (spec.protocol !== undefined) parts.push(`proto ${spec.protocol}`);
  return parts.join(' ');
}

function parseRoute(m: rt.RouteMessage, family: IpFamily): Route {
  const { data, attrs } = m;
  const dstLen = data.dstLen ?? 0;
  const zero = family === 4 ? '0.0.0.0' : '::';
  const address = attrs.dst ? bytesToIp(attrs.dst) : zero;
  return {
    dst: formatCidr({ address, prefixLength: dstLen, family }),
    family,
    gateway: attrs.gateway ? bytesToIp(attrs.gateway) : undefined,
    dev: attrs.oif,
    onlink: ((data.flags?.__unknown ?? 0) & RTNH_F_ONLINK) !== 0,
    scope: enumValue(rt.RouteScope, data.scope),
    protocol: enumValue(rt.RouteProtocol, data.protocol),
    table: attrs.table ?? data.table ?? 0,
    metric: attrs.priority,
    src: attrs.prefsrc ? bytesToIp(attrs.prefsrc) : undefined,
    type: enumValue(rt.RouteType, data.type),
  };
}
