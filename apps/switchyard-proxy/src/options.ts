import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { parseCidr } from '@switchyard/linux';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
export class ProxyOptionError extends Error {
  override readonly name = 'ProxyOptionError';
}

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

const STRING_FLAGS = [
  'node-name',
  'kubeconfig',
  'cluster-cidr',
  'nodeport-addresses',
  'min-sync-period',
  'sync-period',
  'full-sync-period',
  'health-bind-address',
  'table',
  'masquerade-bit',
  'log-level',
] as const;

/** Flags win over environment variables, which win over defaults. Throws ProxyOptionError. */
export function parseProxyOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ProxyOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
        cleanup: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    throw new ProxyOptionError((e as Error).message);
  }
  const str = (k: (typeof STRING_FLAGS)[number]): string | undefined =>
    values[k] as string | undefined;
  const logLevel = str('log-level') ?? env.LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ProxyOptionError(`--log-level: expected debug, info, warn or error, got ${logLevel}`);
  }
  const nodeName = str('node-name') ?? env.NODE_NAME ?? hostname();
  if (nodeName === '') throw new ProxyOptionError('--node-name: must not be empty');
  const [healthHost, healthPort] = hostPort(str('health-bind-address') ?? '0.0.0.0:10256');
  const table = str('table') ?? 'switchyard-proxy';
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(table)) {
    throw new ProxyOptionError(`--table: not a valid nftables table name: ${table}`);
  }
  const minSyncPeriodMs = duration('--min-sync-period', str('min-sync-period') ?? '1s');
  const syncPeriodMs = duration('--sync-period', str('sync-period') ?? '30s');
  const fullSyncPeriodMs = duration('--full-sync-period', str('full-sync-period') ?? '1h');
  if (syncPeriodMs < minSyncPeriodMs) {
    throw new ProxyOptionError('--sync-period: must not be shorter than --min-sync-period');
  }
  if (fullSyncPeriodMs < syncPeriodMs) {
    throw new ProxyOptionError('--full-sync-period: must not be shorter than --sync-period');
  }
  return {
    nodeName,
    kubeconfig: str('kubeconfig') ?? (env.KUBECONFIG || undefined),
    clusterCidrs: list(str('cluster-cidr') ?? env.CLUSTER_CIDR).map((c) => cidr(c)),
    nodePortAddresses: list(str('nodeport-addresses')).map((ip) => {
      if (!isIP(ip)) throw new ProxyOptionError(`--nodeport-addresses: not an IP address: ${ip}`);
      return ip;
    }),
    minSyncPeriodMs,
    syncPeriodMs,
    fullSyncPeriodMs,
    healthHost,
    healthPort,
    table,
    masqueradeBit: int('--masquerade-bit', str('masquerade-bit') ?? '14', 0, 31),
    logLevel: logLevel as LogLevel,
    cleanup: values.cleanup === true,
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, '': 1000 };

/** `1s`, `500ms`, `2m`, `1h` or plain seconds (`1.5`) -> milliseconds; at least 1 ms, at most a day. */
export function duration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(ms >= 1 && ms <= 86_400_000)) {
    throw new ProxyOptionError(
      `${flag}: expected a duration like 500ms, 1s, 2m or 1h, got ${text}`,
    );
  }
  return Math.round(ms);
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function cidr(text: string): string {
  try {
    if (!text.includes('/')) throw new Error('no prefix length');
    parseCidr(text);
  } catch {
    throw new ProxyOptionError(`--cluster-cidr: not a CIDR: ${text}`);
  }
  return text;
}

function hostPort(text: string): [string, number] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(text);
  if (!m || !isIP(m[1]!)) {
    throw new ProxyOptionError(`--health-bind-address: expected IP:PORT, got ${text}`);
  }
  return [m[1]!, int('--health-bind-address', m[2]!, 0, 65535)];
}

function int(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new ProxyOptionError(`${flag}: expected an integer from ${min} to ${max}, got ${text}`);
  }
  return n;
}
