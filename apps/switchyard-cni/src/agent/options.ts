import { Cidr } from '@switchyard/ipam';
import {
  FlagError,
  commaList,
  field,
  listenPort,
  logLevel,
  oneOf,
  parseFlagTable,
  port,
  text,
  wholeNumber,
} from '@switchyard/kube';
import type { FlagEnv, FlagReader, FlagTable, LogLevel } from '@switchyard/kube';

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
  logLevel: LogLevel;
}

/** A flag or variable the agent cannot run with; main prints it and exits 2. */
export { FlagError as AgentOptionError };

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

/** A CIDR in its canonical form (`10.244.1.0/24`); host bits set are refused. */
const cidr: FlagReader<string> = (flag, value) => {
  try {
    return Cidr.parse(value).toString();
  } catch (e) {
    throw new FlagError(flag, (e as Error).message);
  }
};

/** Whole seconds from the command line, kept in milliseconds. */
function secondsAsMs(min: number, max: number): FlagReader<number> {
  const seconds = wholeNumber(min, max);
  return (flag, value) => seconds(flag, value) * 1000;
}

const overlayMode = oneOf<OverlayModeOption>(['vxlan', 'direct', 'auto', 'none']);

const FLAGS: FlagTable<AgentOptions> = {
  '--node-name': field('nodeName', text, 'NODE_NAME'),
  '--kubeconfig': field('kubeconfig', text, 'KUBECONFIG'),
  '--pod-cidr': field('podCidrs', commaList(cidr)),
  '--cluster-cidr': field('clusterCidrs', commaList(cidr), 'CLUSTER_CIDR'),
  '--cni-conf-dir': field('cniConfDir', text),
  '--cni-bin-dir': field('cniBinDir', text),
  '--conflist-name': field('conflistName', text),
  '--network': field('network', text),
  '--bridge': field('bridge', text),
  '--mtu': field('mtu', wholeNumber(576, 65535)),
  '--ipam-data-dir': field('ipamDataDir', text),
  '--socket': field('socket', text),
  '--overlay-mode': field('overlayMode', overlayMode, 'OVERLAY_MODE'),
  '--vxlan-port': field('vxlanPort', port),
  '--vni': field('vni', wholeNumber(1, 0xffffff)),
  '--health-host': field('healthHost', text),
  '--health-port': field('healthPort', listenPort),
  '--install-shim': field('installShim', text),
  '--install-fallback': field('installFallback', text),
  '--standalone-node': field('standaloneNode', text),
  '--standalone-script': field('standaloneScript', text),
  '--gc-interval': field('gcIntervalMs', secondsAsMs(1, 86400)),
  '--gc-grace': field('gcGraceMs', secondsAsMs(0, 86400)),
  '--log-level': field('logLevel', logLevel, 'LOG_LEVEL'),
};

/** Flags win over environment variables, which win over defaults. Throws AgentOptionError. */
export function parseAgentOptions(
  argv: readonly string[],
  env: FlagEnv,
  defaults: { standaloneNode: string; standaloneScript: string },
): AgentOptions {
  return parseFlagTable(
    argv,
    FLAGS,
    {
      nodeName: undefined,
      kubeconfig: undefined,
      podCidrs: [],
      clusterCidrs: [],
      cniConfDir: '/etc/cni/net.d',
      cniBinDir: '/opt/cni/bin',
      conflistName: '10-switchyard.conflist',
      network: 'switchyard',
      bridge: 'cni0',
      mtu: undefined,
      ipamDataDir: '/run/switchyard/ipam',
      socket: '/run/switchyard/cni.sock',
      overlayMode: 'vxlan',
      vxlanPort: 8472,
      vni: 1,
      healthHost: '127.0.0.1',
      healthPort: 9440,
      installShim: undefined,
      installFallback: undefined,
      ...defaults,
      gcIntervalMs: 60_000,
      gcGraceMs: 300_000,
      logLevel: 'info',
    },
    env,
  );
}
