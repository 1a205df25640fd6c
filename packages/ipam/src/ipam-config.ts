import { versionAtLeast } from '@switchyard/cni-spec';
import { Cidr } from './cidr.js';
import { InvalidAddressError, IpamConfigError } from './errors.js';
import { IpAddress } from './ip-address.js';
import { IpRange, type RangeConfig } from './ip-range.js';
import { RangeSet, assertDisjointRangeSets } from './range-set.js';

/** A route from `ipam.routes`, passed through to the result as written. */
export interface RouteConfig {
  dst: string;
  gw?: string;
  [key: string]: unknown;
}

/** host-local's configuration, validated and with every source of ranges and requests merged. */
export interface IpamConfig {
  /** The network name (the store directory under dataDir). */
  name: string;
  cniVersion: string;
  /** Range sets in allocation order; index N keeps its cursor in `last_reserved_ip.N`. */
  rangeSets: RangeSet[];
  /** Requested addresses: CNI_ARGS `IP`, then `args.cni.ips`, then `runtimeConfig.ips`. */
  requested: IpAddress[];
  routes: RouteConfig[];
  dataDir?: string;
  resolvConf?: string;
}

/**
 * Reads an IPAM plugin's stdin configuration the way host-local does:
 * - ranges come from `runtimeConfig.ipRanges` (the `ipRanges` capability), then the legacy
 *   single range in `ipam` itself (`subnet`, `rangeStart`, `rangeEnd`, `gateway`), then
 *   `ipam.ranges`, in that order (it fixes the `last_reserved_ip.N` numbering);
 * - every range is validated, range sets must not overlap, and configs older than 0.3.0 may have
 *   at most one range set per family;
 * - `envIp` is the CNI_ARGS `IP` value (a comma-separated list is accepted too).
 * Throws IpamConfigError / InvalidRangeError (CNI code 7) naming the field.
 */
export function parseIpamConfig(config: unknown, envIp?: string): IpamConfig {
  const net = asObject(config, '');
  const ipam = net.ipam === undefined ? undefined : asObject(net.ipam, 'ipam');
  if (!ipam) throw new IpamConfigError('missing "ipam" section', 'ipam');
  const name = net.name;
  if (typeof name !== 'string' || name === '') {
    throw new IpamConfigError('must be a non-empty string', 'name');
  }
  const cniVersion = typeof net.cniVersion === 'string' ? net.cniVersion : '0.1.0';
  const runtime =
    net.runtimeConfig === undefined ? {} : asObject(net.runtimeConfig, 'runtimeConfig');
  const args = net.args === undefined ? {} : asObject(net.args, 'args');
  const cniArgs = args.cni === undefined ? {} : asObject(args.cni, 'args.cni');

  const requested = [
    ...(envIp ? envIp.split(',').map((s, i) => address(s, `CNI_ARGS IP[${i}]`)) : []),
    ...strings(cniArgs.ips, 'args.cni.ips').map((s, i) => address(s, `args.cni.ips[${i}]`)),
    // runtimeConfig.ips entries may carry a prefix length, which host-local ignores.
    ...strings(runtime.ips, 'runtimeConfig.ips').map((s, i) =>
      address(s.split('/')[0]!, `runtimeConfig.ips[${i}]`),
    ),
  ];

  const sets: RangeSet[] = [];
  for (const [i, set] of rangeLists(runtime.ipRanges, 'runtimeConfig.ipRanges').entries()) {
    sets.push(RangeSet.fromConfig(set, `runtimeConfig.ipRanges[${i}]`));
  }
  if (ipam.subnet !== undefined) {
    sets.push(RangeSet.of([IpRange.fromConfig(ipam as unknown as RangeConfig, 'ipam')], 'ipam'));
  }
  for (const [i, set] of rangeLists(ipam.ranges, 'ipam.ranges').entries()) {
    sets.push(RangeSet.fromConfig(set, `ipam.ranges[${i}]`));
  }
  if (sets.length === 0) throw new IpamConfigError('no IP ranges specified', 'ipam.ranges');
  if (!versionAtLeast(cniVersion, '0.3.0')) {
    for (const family of [4, 6]) {
      if (sets.filter((s) => s.family === family).length > 1) {
        throw new IpamConfigError(
          `CNI version ${cniVersion} does not support more than 1 address per family`,
          'ipam.ranges',
        );
      }
    }
  }
  assertDisjointRangeSets(sets, 'ipam.ranges');

  const result: IpamConfig = {
    name,
    cniVersion,
    rangeSets: sets,
    requested,
    routes: routes(ipam.routes),
  };
  const dataDir = optionalString(ipam.dataDir, 'ipam.dataDir');
  if (dataDir) result.dataDir = dataDir;
  const resolvConf = optionalString(ipam.resolvConf, 'ipam.resolvConf');
  if (resolvConf) result.resolvConf = resolvConf;
  return result;
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IpamConfigError('must be an object', field || 'config');
  }
  return value as Record<string, unknown>;
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new IpamConfigError('must be a list of strings', field);
  }
  return value as string[];
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new IpamConfigError('must be a string', field);
  return value;
}

function rangeLists(value: unknown, field: string): RangeConfig[][] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new IpamConfigError('must be a list of range sets', field);
  for (const [i, set] of value.entries()) {
    if (!Array.isArray(set))
      throw new IpamConfigError('must be a list of ranges', `${field}[${i}]`);
  }
  return value as RangeConfig[][];
}

function address(text: string, field: string): IpAddress {
  try {
    return IpAddress.parse(text.trim());
  } catch (e) {
    if (e instanceof InvalidAddressError) throw new IpamConfigError(e.message, field);
    throw e;
  }
}

function routes(value: unknown): RouteConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new IpamConfigError('must be a list of routes', 'ipam.routes');
  return value.map((r: unknown, i) => {
    const field = `ipam.routes[${i}]`;
    const route = asObject(r, field);
    if (typeof route.dst !== 'string') throw new IpamConfigError('needs a "dst" CIDR', field);
    try {
      Cidr.parse(route.dst, { allowHostBits: true });
      if (route.gw !== undefined) IpAddress.parse(String(route.gw));
    } catch (e) {
      if (e instanceof InvalidAddressError) throw new IpamConfigError(e.message, field);
      throw e;
    }
    return route as RouteConfig;
  });
}
