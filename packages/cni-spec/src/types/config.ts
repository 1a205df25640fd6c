import type { Dns } from './result.js';

/** `ipam` section: `type` names the IPAM plugin; everything else is the plugin's own. */
export interface IpamConf {
  type: string;
  [key: string]: unknown;
}

/** A `portMappings` capability entry (CONVENTIONS.md). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

/** An `ipRanges` capability entry. */
export interface IpRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** The `bandwidth` capability. */
export interface Bandwidth {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

/** The `dns` capability as runtimes send it (containerd's go-cni): not the result's shape. */
export interface RuntimeDns {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

/**
 * `runtimeConfig`, injected by the runtime: the intersection of the plugin's `capabilities` with
 * the runtime's capability args. Unknown capabilities pass through.
 */
export interface RuntimeConfig {
  portMappings?: PortMapping[];
  ipRanges?: IpRange[][];
  bandwidth?: Bandwidth;
  dns?: RuntimeDns;
  ips?: string[];
  mac?: string;
  infinibandGUID?: string;
  deviceID?: string;
  aliases?: string[];
  cgroupPath?: string;
  [key: string]: unknown;
}

/** `args` in a config: `args.cni.*` is the convention that replaces CNI_ARGS. */
export interface ConfArgs {
  cni?: {
    ips?: string[];
    mac?: string;
    labels?: { key: string; value: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One attachment named in GC's `cni.dev/valid-attachments`. */
export interface GcAttachment {
  containerID: string;
  ifname: string;
}

/**
 * A plugin's configuration as the plugin receives it on stdin (the runtime has injected `name`,
 * `cniVersion`, `prevResult`, `runtimeConfig`). Unknown fields are preserved as they came.
 */
export interface PluginConf {
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipMasq?: boolean;
  ipam?: IpamConf;
  dns?: Dns;
  runtimeConfig?: RuntimeConfig;
  args?: ConfArgs;
  /** The previous plugin's result, in the config's version (parse it with `parseResult`). */
  prevResult?: unknown;
  'cni.dev/valid-attachments'?: GcAttachment[];
  [key: string]: unknown;
}

/** A network configuration list (conflist). `bytes` holds the text it was parsed from. */
export interface NetworkConfigList {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  loadOnlyInlinedPlugins?: boolean;
  plugins: PluginConf[];
  bytes?: Buffer;
}

/** The well-known capability names (CONVENTIONS.md). */
export const WELL_KNOWN_CAPABILITIES: readonly string[] = Object.freeze([
  'portMappings',
  'ipRanges',
  'bandwidth',
  'dns',
  'ips',
  'mac',
  'infinibandGUID',
  'deviceID',
  'aliases',
  'cgroupPath',
]);
