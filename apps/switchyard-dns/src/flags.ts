import { parseUpstream, type PodMode } from '@switchyard/dns';
import {
  FlagError,
  appendTo,
  field,
  listenPort,
  logLevel,
  oneOf,
  parseFlagTable,
  switchFlag,
  text,
  valueFlag,
  wholeNumber,
} from '@switchyard/kube';
import type { FlagTable, LogLevel } from '@switchyard/kube';
import type { DnsConfig } from './dns-config.js';

/** Where the Corefile comes from: a ConfigMap (watched), a file (read once), or none. */
export type CorefileSource =
  { configMap: { namespace: string; name: string } } | { file: string } | { none: true };

export interface Flags {
  host: string;
  dnsPort: number;
  healthPort: number;
  readyPort: number;
  metricsPort: number;
  /** Address the health, ready and metrics endpoints listen on. */
  httpHost: string;
  kubeconfig?: string;
  corefile: CorefileSource;
  /** Values that win over the Corefile's. */
  overrides: Partial<DnsConfig>;
  /** This server's own addresses, published as `ns.dns.<zone>`. */
  nameserverIps: string[];
  logLevel: LogLevel;
}

export const USAGE = `usage: switchyard-dns [flags]
  --host ADDR              DNS listen address (0.0.0.0)
  --dns-port N             UDP and TCP port (53)
  --http-host ADDR         health/ready/metrics listen address (0.0.0.0)
  --health-port N          /health (8080)       --ready-port N   /ready (8181)
  --metrics-port N         /metrics (9153)
  --kubeconfig PATH        default: $KUBECONFIG, ~/.kube/config, then in-cluster
  --configmap NS/NAME      Corefile ConfigMap to watch (kube-system/coredns)
  --corefile PATH          read the Corefile from a file instead
  --no-corefile            no Corefile: kubeadm's defaults plus flags
  --zone NAME --ttl N --pods insecure|verified|disabled --cache-ttl N
  --upstream ADDR[:PORT]   (repeatable) forward to these instead of the Corefile's
  --resolv-conf PATH       forward to this file's nameservers
  --no-loadbalance         keep A/AAAA answers in order
  --nameserver-ip IP       (repeatable) this server's address for ns.dns.<zone>
  --log-level debug|info|warn|error`;

const ttl = wholeNumber(0, 3600);
const cacheTtl = wholeNumber(0, 86400);
const podMode = oneOf<PodMode>(['insecure', 'verified', 'disabled']);

const FLAGS: FlagTable<Flags> = {
  '--host': field('host', text),
  '--http-host': field('httpHost', text),
  '--dns-port': field('dnsPort', listenPort),
  '--health-port': field('healthPort', listenPort),
  '--ready-port': field('readyPort', listenPort),
  '--metrics-port': field('metricsPort', listenPort),
  '--kubeconfig': field('kubeconfig', text),
  '--configmap': valueFlag((f, v, flag) => {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(v);
    if (!m) throw new FlagError(flag, `expected NAMESPACE/NAME, got ${v}`);
    f.corefile = { configMap: { namespace: m[1]!, name: m[2]! } };
  }),
  '--corefile': valueFlag((f, v) => (f.corefile = { file: v })),
  '--no-corefile': switchFlag((f) => (f.corefile = { none: true })),
  '--zone': valueFlag((f, v) => (f.overrides.zone = v.toLowerCase().replace(/\.$/, ''))),
  '--ttl': valueFlag((f, v, flag) => (f.overrides.ttl = ttl(flag, v))),
  '--cache-ttl': valueFlag((f, v, flag) => (f.overrides.cacheTtl = cacheTtl(flag, v))),
  '--pods': valueFlag((f, v, flag) => (f.overrides.podMode = podMode(flag, v))),
  '--upstream': valueFlag((f, v, flag) => {
    let up;
    try {
      up = parseUpstream(v);
    } catch (e) {
      throw new FlagError(flag, (e as Error).message);
    }
    const o = f.overrides;
    const prev = o.forward && 'upstreams' in o.forward ? o.forward.upstreams : [];
    o.forward = { upstreams: [...prev, up] };
  }),
  '--resolv-conf': valueFlag((f, v) => (f.overrides.forward = { resolvConf: v })),
  '--no-loadbalance': switchFlag((f) => (f.overrides.loadBalance = false)),
  '--nameserver-ip': appendTo('nameserverIps', text),
  '--log-level': field('logLevel', logLevel),
};

/** Parses `--flag value` and `--flag=value`; throws FlagError for anything unknown or malformed. */
export function parseFlags(argv: readonly string[]): Flags {
  return parseFlagTable(argv, FLAGS, {
    host: '0.0.0.0',
    dnsPort: 53,
    healthPort: 8080,
    readyPort: 8181,
    metricsPort: 9153,
    httpHost: '0.0.0.0',
    corefile: { configMap: { namespace: 'kube-system', name: 'coredns' } },
    overrides: {},
    nameserverIps: [],
    logLevel: 'info',
  });
}
