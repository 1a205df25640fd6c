/** DNS settings (every version). */
export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A route (1.1.0 adds mtu, advmss, priority, table and scope). */
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

/** An interface a plugin created or configured (1.1.0 adds mtu, socketPath, pciID). */
export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

/** An address in the current shape: no `version` field since 1.0.0. */
export interface IpConfig {
  /** CIDR, e.g. `10.1.0.5/24`. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`; absent for IPAM results. */
  interface?: number;
}

/** An ADD result in the current (1.x) shape. */
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: Dns;
}

/** 0.3.0 / 0.3.1 / 0.4.0 interface: no mtu, socketPath or pciID. */
export interface Interface040 {
  name: string;
  mac?: string;
  sandbox?: string;
}

/** 0.3.0 / 0.3.1 / 0.4.0 address: carries `version` "4" or "6". */
export interface IpConfig040 {
  version: '4' | '6';
  address: string;
  gateway?: string;
  interface?: number;
}

/** A 0.3.0 / 0.3.1 / 0.4.0 result. */
export interface Result040 {
  cniVersion: string;
  interfaces?: Interface040[];
  ips?: IpConfig040[];
  routes?: Route[];
  dns?: Dns;
}

/** 0.1.0 / 0.2.0 per-family address with its routes. */
export interface IpConfig020 {
  ip: string;
  gateway?: string;
  routes?: { dst: string; gw?: string }[];
}

/** A 0.1.0 / 0.2.0 result: at most one address per family. */
export interface Result020 {
  cniVersion: string;
  ip4?: IpConfig020;
  ip6?: IpConfig020;
  dns?: Dns;
}

/** What a plugin prints for VERSION. */
export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}
