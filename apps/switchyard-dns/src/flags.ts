import { parseUpstream, type PodMode } from '@switchyard/dns';
import type { LogLevel } from '@switchyard/kube';
import type { DnsConfig } from './dns-config.js';
import { FlagError } from './errors.js';

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

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/** Parses `--flag value` and `--flag=value`; throws FlagError for anything unknown or malformed. */
export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = {
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
  };
  const o = flags.overrides;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new FlagError(name, 'needs a value');
      return v;
    };
    switch (name) {
      case '--host':
        flags.host = value();
        break;
      case '--http-host':
        flags.httpHost = value();
        break;
      case '--dns-port':
        flags.dnsPort = port(name, value());
        break;
      case '--health-port':
        flags.healthPort = port(name, value());
        break;
      case '--ready-port':
        flags.readyPort = port(name, value());
        break;
      case '--metrics-port':
        flags.metricsPort = port(name, value());
        break;
      case '--kubeconfig':
        flags.kubeconfig = value();
        break;
      case '--configmap': {
        const v = value();
        const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(v);
        if (!m) throw new FlagError(name, `expected NAMESPACE/NAME, got ${v}`);
        flags.corefile = { configMap: { namespace: m[1]!, name: m[2]! } };
        break;
      }
      case '--corefile':
        flags.corefile = { file: value() };
        break;
      case '--no-corefile':
        flags.corefile = { none: true };
        break;
      case '--zone':
        o.zone = value().toLowerCase().replace(/\.$/, '');
        break;
      case '--ttl':
        o.ttl = whole(name, value(), 3600);
        break;
      case '--cache-ttl':
        o.cacheTtl = whole(name, value(), 86400);
        break;
      case '--pods': {
        const v = value();
        if (v !== 'insecure' && v !== 'verified' && v !== 'disabled')
          throw new FlagError(name, `must be insecure, verified or disabled, got ${v}`);
        o.podMode = v satisfies PodMode;
        break;
      }
      case '--upstream': {
        const v = value();
        let up;
        try {
          up = parseUpstream(v);
        } catch (e) {
          throw new FlagError(name, (e as Error).message);
        }
        const prev = o.forward && 'upstreams' in o.forward ? o.forward.upstreams : [];
        o.forward = { upstreams: [...prev, up] };
        break;
      }
      case '--resolv-conf':
        o.forward = { resolvConf: value() };
        break;
      case '--no-loadbalance':
        o.loadBalance = false;
        break;
      case '--nameserver-ip':
        flags.nameserverIps.push(value());
        break;
      case '--log-level': {
        const v = value();
        if (!LEVELS.includes(v)) throw new FlagError(name, `must be one of ${LEVELS.join(', ')}`);
        flags.logLevel = v as LogLevel;
        break;
      }
      default:
        throw new FlagError(name, 'unknown flag');
    }
  }
  return flags;
}

function whole(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new FlagError(flag, `must be a whole number from 0 to ${max}, got ${text}`);
  return Number(text);
}

function port(flag: string, text: string): number {
  return whole(flag, text, 65535);
}
