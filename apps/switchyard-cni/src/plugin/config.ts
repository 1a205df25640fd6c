import { InvalidNetworkConfigError, type PluginConf } from '@switchyard/cni-spec/plugin';

/** The bridge every pod veth is enslaved to, like the reference bridge plugin's default. */
export const DEFAULT_BRIDGE = 'cni0';
export const DEFAULT_MTU = 1500;
/** Where the agent listens; the C shim reads the same key from the config. */
export const DEFAULT_AGENT_SOCKET = '/run/switchyard/cni.sock';

/**
 * The `switchyard` plugin's own keys. IP ranges live in `ipam` in host-local's format (read with
 * @switchyard/ipam's parseIpamConfig) but are allocated in process, not by exec'ing a delegate:
 * the agent and the standalone fallback share host-local's on-disk store in `ipam.dataDir`.
 * `agentSocket`, `nodeBinary` and `standaloneScript` are read by the C shim only.
 */
export interface SwitchyardConf {
  network: string;
  bridge: string;
  mtu: number;
  /** `ipam.dataDir`; undefined means host-local's default. */
  dataDir: string | undefined;
}

const IFNAME = /^[^\s/:]{1,15}$/;

export function parseSwitchyardConf(config: PluginConf): SwitchyardConf {
  const bridge = config.bridge ?? DEFAULT_BRIDGE;
  if (typeof bridge !== 'string' || !IFNAME.test(bridge) || bridge === '.' || bridge === '..') {
    throw new InvalidNetworkConfigError(
      'bridge: expected an interface name (1-15 characters, no "/", ":" or spaces)',
      `got ${JSON.stringify(bridge)}`,
    );
  }
  const mtu = config.mtu ?? DEFAULT_MTU;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
    throw new InvalidNetworkConfigError(
      'mtu: expected an integer from 576 to 65535',
      `got ${JSON.stringify(mtu)}`,
    );
  }
  for (const key of ['agentSocket', 'nodeBinary', 'standaloneScript']) {
    if (config[key] !== undefined && typeof config[key] !== 'string') {
      throw new InvalidNetworkConfigError(
        `${key}: expected a string`,
        `got ${JSON.stringify(config[key])}`,
      );
    }
  }
  const ipam = config.ipam;
  const dataDir = ipam?.dataDir;
  if (dataDir !== undefined && typeof dataDir !== 'string') {
    throw new InvalidNetworkConfigError('ipam.dataDir: expected a string');
  }
  return { network: config.name, bridge, mtu, dataDir };
}
