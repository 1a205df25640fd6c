import { hostname } from 'node:os';
import { isIP } from 'node:net';
import {
  FlagError,
  commaList,
  duration,
  field,
  ipAddress,
  listenPort,
  logLevel,
  parseFlagTable,
  switchFlag,
  text,
  valueFlag,
  wholeNumber,
} from '@switchyard/kube';
import type { FlagEnv, FlagReader, FlagTable, LogLevel } from '@switchyard/kube';
import { parseCidr } from '@switchyard/linux';

export type { LogLevel };

export interface ProxyOptions {
  /** This node's Node object: its addresses, zone and (without cluster CIDRs) pod CIDRs. */
  nodeName: string;
  /** Path of a kubeconfig; undefined = the pod's service account (in-cluster). */
  kubeconfig: string | undefined;
  /** Cluster pod CIDRs; empty = this node's `spec.podCIDRs` (kube-proxy's NodeCIDR mode). */
  clusterCidrs: string[];
  /** Addresses accepting NodePorts; empty = every local address but loopback. */
  nodePortAddresses: string[];
  /** Least time between two syncs (kube-proxy's minSyncPeriod). */
  minSyncPeriodMs: number;
  /** Most time between two looks at the kernel: the table is checked and repaired this often. */
  syncPeriodMs: number;
  /** How often the whole table is replaced even when it looks intact. */
  fullSyncPeriodMs: number;
  healthHost: string;
  healthPort: number;
  table: string;
  masqueradeBit: number;
  logLevel: LogLevel;
  /** Delete our table and exit. */
  cleanup: boolean;
}

/** A flag or variable the proxy cannot run with; main prints it and exits 2. */
export { FlagError as ProxyOptionError, duration };

export const USAGE = `switchyard-proxy: Kubernetes Services on nftables (a kube-proxy replacement)

  --node-name NAME            this node's Node object (env NODE_NAME; default the host name)
  --kubeconfig PATH           kubeconfig (env KUBECONFIG); otherwise the pod's service account
  --cluster-cidr CIDRS        cluster pod CIDR(s), comma separated (env CLUSTER_CIDR); traffic from
                              outside them to a ClusterIP is masqueraded. Default: the node's podCIDRs
  --nodeport-addresses IPS    addresses accepting NodePorts, comma separated (default: all but loopback)
  --min-sync-period DUR       least time between syncs (1s)
  --sync-period DUR           check the table and repair it this often (30s)
  --full-sync-period DUR      replace the whole table this often even when intact (1h)
  --health-bind-address A:P   /healthz /readyz /metrics (0.0.0.0:10256; port 0 = any free port)
  --table NAME                nftables table in the inet family (switchyard-proxy)
  --masquerade-bit N          packet-mark bit asking for masquerade (14)
  --log-level LEVEL           debug | info | warn | error (info; env LOG_LEVEL)
  --cleanup                   delete the table and exit
  DUR is a number of seconds or a number with ms, s, m or h.
`;

/** A CIDR with its prefix length (`10.244.0.0/16`, `fd00::/48`). */
const cidr: FlagReader<string> = (flag, value) => {
  try {
    if (!value.includes('/')) throw new Error('no prefix length');
    parseCidr(value);
  } catch {
    throw new FlagError(flag, `must be a CIDR (ADDRESS/LENGTH), got ${value}`);
  }
  return value;
};

/** `IP:PORT` or `[IPv6]:PORT`. */
function hostPort(flag: string, value: string): [string, number] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(value);
  if (!m || !isIP(m[1]!)) throw new FlagError(flag, `must be IP:PORT, got ${value}`);
  return [m[1]!, listenPort(flag, m[2]!)];
}

const tableName: FlagReader<string> = (flag, value) => {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(value))
    throw new FlagError(
      flag,
      `must be an nftables table name (a letter, then letters, digits, _ or -; at most 63), got ${value}`,
    );
  return value;
};

const FLAGS: FlagTable<ProxyOptions> = {
  '--node-name': field('nodeName', text, 'NODE_NAME'),
  '--kubeconfig': field('kubeconfig', text, 'KUBECONFIG'),
  '--cluster-cidr': field('clusterCidrs', commaList(cidr), 'CLUSTER_CIDR'),
  '--nodeport-addresses': field('nodePortAddresses', commaList(ipAddress)),
  '--min-sync-period': field('minSyncPeriodMs', duration),
  '--sync-period': field('syncPeriodMs', duration),
  '--full-sync-period': field('fullSyncPeriodMs', duration),
  '--health-bind-address': valueFlag((o, v, flag) => {
    [o.healthHost, o.healthPort] = hostPort(flag, v);
  }),
  '--table': field('table', tableName),
  '--masquerade-bit': field('masqueradeBit', wholeNumber(0, 31)),
  '--log-level': field('logLevel', logLevel, 'LOG_LEVEL'),
  '--cleanup': switchFlag((o) => (o.cleanup = true)),
};

/** Flags win over environment variables, which win over defaults. Throws ProxyOptionError. */
export function parseProxyOptions(argv: readonly string[], env: FlagEnv): ProxyOptions {
  const o = parseFlagTable(
    argv,
    FLAGS,
    {
      nodeName: hostname(),
      kubeconfig: undefined,
      clusterCidrs: [],
      nodePortAddresses: [],
      minSyncPeriodMs: 1000,
      syncPeriodMs: 30_000,
      fullSyncPeriodMs: 3_600_000,
      healthHost: '0.0.0.0',
      healthPort: 10256,
      table: 'switchyard-proxy',
      masqueradeBit: 14,
      logLevel: 'info',
      cleanup: false,
    },
    env,
  );
  if (o.nodeName === '') throw new FlagError('--node-name', 'must not be empty');
  if (o.syncPeriodMs < o.minSyncPeriodMs)
    throw new FlagError('--sync-period', 'must not be shorter than --min-sync-period');
  if (o.fullSyncPeriodMs < o.syncPeriodMs)
    throw new FlagError('--full-sync-period', 'must not be shorter than --sync-period');
  return o;
}
