import { DecodingFailureError, IncompatibleVersionError } from '../errors.js';
import { FieldReader, ipFamily, showValue } from '../types/fields.js';
import type {
  Dns,
  Interface,
  IpConfig,
  IpConfig020,
  Result,
  Result020,
  Result040,
  Route,
} from '../types/result.js';
import {
  CURRENT_VERSION,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
  versionAtLeast,
} from './versions.js';

/** The three result formats the spec has had. */
export type ResultFormat = '0.2' | '0.4' | '1.x';

/** Which result format a spec version uses. */
export function resultFormat(version: string): ResultFormat {
  if (!isSupportedVersion(version)) {
    throw new IncompatibleVersionError(
      `unsupported result version ${JSON.stringify(version)}`,
      `supported: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if (versionAtLeast(version, '1.0.0')) return '1.x';
  return versionAtLeast(version, '0.3.0') ? '0.4' : '0.2';
}

/**
 * Parses a result of any version (its own `cniVersion`, else `version`, the config's version as
 * the spec says) into the current shape. Throws code 6 naming the bad field and value.
 */
export function parseResult(json: unknown, version?: string): Result {
  const r = FieldReader.of(json, 'result', DecodingFailureError);
  const from = r.string('cniVersion') ?? version;
  if (!from)
    throw new DecodingFailureError('result.cniVersion: missing and no config version given');
  const format = resultFormat(from);
  // Results at 1.x keep their version; older ones are lifted to the current version.
  const cniVersion = format === '1.x' ? from : CURRENT_VERSION;
  const out: Result = format === '0.2' ? read020(r, cniVersion) : read04x(r, cniVersion, format);
  const dns = readDns(r);
  if (dns) out.dns = dns;
  return out;
}

/**
 * Converts a result from its version (its `cniVersion`) to `toVersion`, in either direction, with
 * the spec's losses: 1.x -> 0.4 drops interface mtu/socketPath/pciID and adds `ips[].version`;
 * -> 0.1/0.2 keeps the first address of each family and the routes of those families only, and
 * fails (code 1) when no address is left.
 */
export function convertResult(result: unknown, toVersion: string): unknown {
  const current = parseResult(result);
  return formatResult(current, toVersion);
}

/** Writes a current-shape result in the format of `toVersion`. */
export function formatResult(result: Result, toVersion: string): Result | Result040 | Result020 {
  switch (resultFormat(toVersion)) {
    case '1.x':
      return withoutEmpty({ ...result, cniVersion: toVersion });
    case '0.4':
      return to040(result, toVersion);
    case '0.2':
      return to020(result, toVersion);
  }
}

function read04x(r: FieldReader, cniVersion: string, format: ResultFormat): Result {
  const out: Result = { cniVersion };
  const interfaces = r.objects('interfaces');
  if (interfaces) {
    out.interfaces = interfaces.map((f) => {
      const itf: Interface = { name: f.string('name', true) };
      const mac = f.string('mac');
      if (mac !== undefined) itf.mac = mac;
      const sandbox = f.string('sandbox');
      if (sandbox !== undefined) itf.sandbox = sandbox;
      if (format === '1.x') {
        const mtu = f.int('mtu', 0);
        if (mtu !== undefined) itf.mtu = mtu;
        const socketPath = f.string('socketPath');
        if (socketPath !== undefined) itf.socketPath = socketPath;
        const pciID = f.string('pciID');
        if (pciID !== undefined) itf.pciID = pciID;
      }
      return itf;
    });
  }
  const ips = r.objects('ips');
  if (ips) {
    out.ips = ips.map((f) => {
      const address = f.cidr('address', true)!;
      if (format === '0.4') {
        // `version` is required by 0.3/0.4 but many writers omit it; when present it must agree.
        const v = f.matching('version', /^[46]$/, '"4" or "6"');
        if (v !== undefined && Number(v) !== ipFamily(address)) {
          f.fail('version', `"${ipFamily(address)}" to match address ${address}`);
        }
      }
      const ip: IpConfig = { address };
      const gateway = f.ip('gateway');
      if (gateway !== undefined) ip.gateway = gateway;
      const index = f.int('interface', 0);
      if (index !== undefined) ip.interface = index;
      return ip;
    });
  }
  const routes = r.objects('routes');
  if (routes) out.routes = routes.map(readRoute);
  return out;
}

function readRoute(f: FieldReader): Route {
  const route: Route = { dst: f.cidr('dst', true)! };
  const gw = f.ip('gw');
  if (gw !== undefined) route.gw = gw;
  for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const v = f.int(key, 0);
    if (v !== undefined) route[key] = v;
  }
  return route;
}

function read020(r: FieldReader, cniVersion: string): Result {
  const out: Result = { cniVersion };
  const ips: IpConfig[] = [];
  const routes: Route[] = [];
  for (const [key, family] of [
    ['ip4', 4],
    ['ip6', 6],
  ] as const) {
    const f = r.object(key);
    if (!f) continue;
    const address = f.cidr('ip', true)!;
    if (ipFamily(address) !== family) f.fail('ip', `an IPv${family} address`);
    const ip: IpConfig = { address };
    const gateway = f.ip('gateway');
    if (gateway !== undefined) ip.gateway = gateway;
    ips.push(ip);
    for (const rf of f.objects('routes') ?? []) {
      const route: Route = { dst: rf.cidr('dst', true)! };
      const gw = rf.ip('gw');
      if (gw !== undefined) route.gw = gw;
      routes.push(route);
    }
  }
  if (ips.length) out.ips = ips;
  if (routes.length) out.routes = routes;
  return out;
}

function readDns(r: FieldReader): Dns | undefined {
  const f = r.object('dns');
  if (!f) return undefined;
  const dns: Dns = {};
  const nameservers = f.stringArray('nameservers');
  if (nameservers?.length) dns.nameservers = [...nameservers];
  const domain = f.string('domain');
  if (domain) dns.domain = domain;
  const search = f.stringArray('search');
  if (search?.length) dns.search = [...search];
  const options = f.stringArray('options');
  if (options?.length) dns.options = [...options];
  return Object.keys(dns).length ? dns : undefined;
}

function to040(result: Result, cniVersion: string): Result040 {
  const out: Result040 = { cniVersion };
  if (result.interfaces?.length) {
    out.interfaces = result.interfaces.map(({ name, mac, sandbox }) =>
      withoutEmpty({ name, mac, sandbox }),
    );
  }
  if (result.ips?.length) {
    out.ips = result.ips.map((ip) =>
      withoutEmpty({
        version: ipFamily(ip.address) === 4 ? ('4' as const) : ('6' as const),
        address: ip.address,
        gateway: ip.gateway,
        interface: ip.interface,
      }),
    );
  }
  if (result.routes?.length) out.routes = result.routes.map((r) => ({ ...r }));
  if (result.dns) out.dns = structuredClone(result.dns);
  return out;
}

function to020(result: Result, cniVersion: string): Result020 {
  const out: Result020 = { cniVersion };
  for (const ip of result.ips ?? []) {
    const key = ipFamily(ip.address) === 4 ? 'ip4' : 'ip6';
    if (out[key]) continue;
    const cfg: IpConfig020 = { ip: ip.address };
    if (ip.gateway) cfg.gateway = ip.gateway;
    out[key] = cfg;
  }
  if (!out.ip4 && !out.ip6) {
    throw new IncompatibleVersionError(
      `cannot convert result to ${cniVersion}`,
      `${cniVersion} needs at least one IP address, result has ips=${showValue(result.ips ?? [])}`,
    );
  }
  for (const route of result.routes ?? []) {
    const target = ipFamily(route.dst) === 4 ? out.ip4 : out.ip6;
    if (!target) continue;
    (target.routes ??= []).push(route.gw ? { dst: route.dst, gw: route.gw } : { dst: route.dst });
  }
  if (result.dns) out.dns = structuredClone(result.dns);
  return out;
}

/** Drops undefined properties so printed JSON has no `"key": undefined` noise or empty lists. */
function withoutEmpty<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as T;
}
