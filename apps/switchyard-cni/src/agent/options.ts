import { parseArgs } from 'node:util';
import { Cidr } from '@switchyard/ipam';

export type OverlayModeOption = 'vxlan' | 'direct' | 'auto' | 'none';

export interface AgentOptions {
  nodeName: string | undefined;
  /** Path of a kubeconfig; undefined = in-cluster when running in a pod, else no Kubernetes. */
  kubeconfig: string | undefined;
  /** Static pod CIDRs: no Kubernetes needed for the node's range (tests, bare setups). */
  podCidrs: string[];
  clusterCidrs: string[];
  cniConfDir: string;
  cniBinDir: string;
  conflistName: string;
  network: string;
  bridge: string;
  /** Pod MTU; undefined = the underlay MTU minus the overlay's overhead (1500 without one). */
  mtu: number | undefined;
  ipamDataDir: string;
  socket: string;
  overlayMode: OverlayModeOption;
  vxlanPort: number;
  vni: number;
  healthHost: string;
  healthPort: number;
  /** Copy the shim into cniBinDir from this path at start (undefined = do not install). */
  installShim: string | undefined;
  /**
   * Install the standalone fallback from this tree (plus this node binary) into
   * <cniBinDir>/switchyard-fallback, and name that copy in the conflist (undefined = do not).
   */
  installFallback: string | undefined;
  standaloneNode: string;
  standaloneScript: string;
  gcIntervalMs: number;
  gcGraceMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A flag or variable the agent cannot run with; main prints it and exits 2. */
export class AgentOptionError extends Error {
  override readonly name = 'AgentOptionError';
}

export const USAGE = `switchyard-agent: the Switchyard node agent (pod network, CNI plugin server)

  --node-name NAME        this node's Node object (env NODE_NAME)
  --kubeconfig PATH       kubeconfig (env KUBECONFIG); in a pod the service account is used
  --pod-cidr CIDRS        static pod CIDR(s), comma separated: skip learning them from the Node
  --cluster-cidr CIDRS    cluster pod CIDR(s), comma separated (env CLUSTER_CIDR): not masqueraded
  --cni-conf-dir DIR      where the conflist goes (/etc/cni/net.d)
  --cni-bin-dir DIR       where the shim is installed (/opt/cni/bin)
  --conflist-name NAME    file name (10-switchyard.conflist)
  --network NAME          CNI network name (switchyard)
  --bridge NAME           node bridge (cni0)
  --mtu N                 pod MTU (default: underlay MTU minus the VXLAN overhead)
  --ipam-data-dir DIR     host-local style store; on tmpfs so a reboot frees it (/run/switchyard/ipam)
  --socket PATH           plugin socket (/run/switchyard/cni.sock)
  --overlay-mode MODE     vxlan | direct | auto | none (vxlan; env OVERLAY_MODE)
  --vxlan-port N          UDP port (8472)      --vni N    VXLAN id (1)
  --health-host ADDR      health/metrics address (127.0.0.1)
  --health-port N         health/metrics port (9440; 0 = any free port)
  --install-shim PATH     copy this shim binary to <cni-bin-dir>/switchyard at start
  --install-fallback DIR  copy this standalone plugin tree (the image's
                          $SWITCHYARD_HOME/cni-fallback/app) and this node binary into
                          <cni-bin-dir>/switchyard-fallback/<hash>/, for nodes without Node.js;
                          the conflist's fallback then names that copy
  --standalone-node PATH  node binary the shim falls back to (this one)
  --standalone-script P   standalone plugin script the shim falls back to (this package's)
  --gc-interval SEC       IPAM GC period (60)   --gc-grace SEC   leak grace period (300)
  --log-level LEVEL       debug | info | warn | error (info)
`;

export function parseAgentOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  defaults: { standaloneNode: string; standaloneScript: string },
): AgentOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: Object.fromEntries(
        [
          'node-name',
          'kubeconfig',
          'pod-cidr',
          'cluster-cidr',
          'cni-conf-dir',
          'cni-bin-dir',
          'conflist-name',
          'network',
          'bridge',
          'mtu',
          'ipam-data-dir',
          'socket',
          'overlay-mode',
          'vxlan-port',
          'vni',
          'health-host',
          'health-port',
          'install-shim',
          'install-fallback',
          'standalone-node',
          'standalone-script',
          'gc-interval',
          'gc-grace',
          'log-level',
        ].map((k) => [k, { type: 'string' as const }]),
      ),
    }).values;
  } catch (e) {
    throw new AgentOptionError((e as Error).message);
  }
  const str = (k: string, fallback?: string): string | undefined =>
    (values[k] as string | undefined) ?? fallback;
  const overlayMode = str('overlay-mode', env.OVERLAY_MODE ?? 'vxlan')!;
  if (!['vxlan', 'direct', 'auto', 'none'].includes(overlayMode)) {
    throw new AgentOptionError(
      `--overlay-mode: expected vxlan, direct, auto or none, got ${overlayMode}`,
    );
  }
  const logLevel = str('log-level', env.LOG_LEVEL ?? 'info')!;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new AgentOptionError(`--log-level: expected debug, info, warn or error, got ${logLevel}`);
  }
  const mtu = str('mtu');
  return {
    nodeName: str('node-name', env.NODE_NAME),
    kubeconfig: str('kubeconfig', env.KUBECONFIG),
    podCidrs: cidrs('--pod-cidr', str('pod-cidr')),
    clusterCidrs: cidrs('--cluster-cidr', str('cluster-cidr', env.CLUSTER_CIDR)),
    cniConfDir: str('cni-conf-dir', '/etc/cni/net.d')!,
    cniBinDir: str('cni-bin-dir', '/opt/cni/bin')!,
    conflistName: str('conflist-name', '10-switchyard.conflist')!,
    network: str('network', 'switchyard')!,
    bridge: str('bridge', 'cni0')!,
    mtu: mtu === undefined ? undefined : int('--mtu', mtu, 576, 65535),
    ipamDataDir: str('ipam-data-dir', '/run/switchyard/ipam')!,
    socket: str('socket', '/run/switchyard/cni.sock')!,
    overlayMode: overlayMode as OverlayModeOption,
    vxlanPort: int('--vxlan-port', str('vxlan-port', '8472')!, 1, 65535),
    vni: int('--vni', str('vni', '1')!, 1, 0xffffff),
    healthHost: str('health-host', '127.0.0.1')!,
    healthPort: int('--health-port', str('health-port', '9440')!, 0, 65535),
    installShim: str('install-shim'),
    installFallback: str('install-fallback'),
    standaloneNode: str('standalone-node', defaults.standaloneNode)!,
    standaloneScript: str('standalone-script', defaults.standaloneScript)!,
    gcIntervalMs: int('--gc-interval', str('gc-interval', '60')!, 1, 86400) * 1000,
    gcGraceMs: int('--gc-grace', str('gc-grace', '300')!, 0, 86400) * 1000,
    logLevel: logLevel as AgentOptions['logLevel'],
  };
}

function cidrs(flag: string, text: string | undefined): string[] {
  if (!text) return [];
  return text.split(',').map((s) => {
    try {
      return Cidr.parse(s.trim()).toString();
    } catch (e) {
      throw new AgentOptionError(`${flag}: ${(e as Error).message}`);
    }
  });
}

function int(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AgentOptionError(`${flag}: expected an integer from ${min} to ${max}, got ${text}`);
  }
  return n;
}
