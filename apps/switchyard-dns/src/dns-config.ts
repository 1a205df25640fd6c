import { parseUpstream, type PodMode, type Upstream } from '@switchyard/dns';
import { parseCorefile, type Directive, type ServerBlock } from './corefile.js';
import { CorefileError } from './errors.js';

/** Where forwarded names go: explicit upstreams, or the nameservers of a resolv.conf file. */
export type UpstreamSource = { resolvConf: string } | { upstreams: Upstream[] };

/** What switchyard-dns serves: the part of a Corefile it understands, as typed values. */
export interface DnsConfig {
  /** Cluster domain (the `kubernetes` plugin's non-reverse zone). */
  zone: string;
  /** Reverse zones answered from Service and endpoint addresses. */
  reverseZones: string[];
  podMode: PodMode;
  /** TTL of cluster answers. */
  ttl: number;
  /** `forward . <to...>`; undefined: no forwarding, names outside the zone are REFUSED. */
  forward?: UpstreamSource;
  /** `forward { max_concurrent }`. */
  maxConcurrent?: number;
  /** `cache <ttl>` caps cached upstream answers; 0 without a `cache` plugin. */
  cacheTtl: number;
  /** `loadbalance`: shuffle A/AAAA answers. */
  loadBalance: boolean;
  /** `health { lameduck D }`: how long a stopping server keeps answering; 0 without it. */
  lameduckMs: number;
}

/** A parsed Corefile: the config and what it said that we do not act on. */
export interface CorefileConfig {
  config: DnsConfig;
  /** Plugins named in the Corefile that switchyard-dns does not implement (answers unaffected). */
  ignoredPlugins: string[];
  /** Options of supported plugins that are accepted but have no effect here. */
  ignoredOptions: string[];
}

/** What kubeadm's default Corefile configures, used when there is no ConfigMap. */
export const KUBEADM_DEFAULTS: DnsConfig = {
  zone: 'cluster.local',
  reverseZones: ['in-addr.arpa', 'ip6.arpa'],
  podMode: 'insecure',
  ttl: 30,
  forward: { resolvConf: '/etc/resolv.conf' },
  maxConcurrent: 1000,
  cacheTtl: 30,
  loadBalance: true,
  lameduckMs: 5000,
};

/**
 * Plugins whose job switchyard-dns always does by itself (health/ready/metrics endpoints, error
 * logging, ConfigMap reload, dropping an upstream that is itself): accepted silently.
 */
const BUILT_IN = new Set(['errors', 'ready', 'prometheus', 'reload', 'loop']);

/** `kubernetes` options that change nothing here (we reach the API our own way). */
const KUBERNETES_NO_EFFECT = new Set(['endpoint', 'kubeconfig', 'tls']);
/** `forward` options that tune CoreDNS's own upstream handling; ours has fixed behaviour. */
const FORWARD_NO_EFFECT = new Set([
  'expire',
  'health_check',
  'max_fails',
  'policy',
  'prefer_udp',
  'force_tcp',
]);
/** `cache` options: ours caps positive and negative answers alike at the one TTL. */
const CACHE_NO_EFFECT = new Set(['success', 'denial', 'prefetch', 'serve_stale', 'keepttl']);

const REVERSE = /(^|\.)(in-addr|ip6)\.arpa$/;

/**
 * Reads the Corefile subset switchyard-dns implements from the root server block (`.` or `.:53`):
 * `kubernetes <zone> [reverse zones] { pods, ttl, fallthrough <reverse zones> }`, `forward .
 * <resolv.conf or addresses> { max_concurrent }`, `cache [ttl]` and `loadbalance`. Anything that
 * would change answers and is not implemented is a CorefileError; plugins that are not
 * implemented are listed in `ignoredPlugins`.
 */
export function corefileConfig(text: string): CorefileConfig {
  const blocks = parseCorefile(text);
  const root = rootBlock(blocks);
  const ignoredPlugins: string[] = [];
  const ignoredOptions: string[] = [];
  for (const b of blocks)
    if (b !== root) ignoredPlugins.push(`server block ${b.keys.join(',')} (line ${b.line})`);

  let kubernetes: Directive | undefined;
  let forward: Directive | undefined;
  let cache: Directive | undefined;
  let loadBalance = false;
  let lameduckMs = 0;
  const seen = new Set<string>();
  for (const d of root.directives) {
    if (seen.has(d.name)) throw new CorefileError(`plugin ${d.name} appears twice`, d.line);
    seen.add(d.name);
    if (d.name === 'kubernetes') kubernetes = d;
    else if (d.name === 'forward') forward = d;
    else if (d.name === 'cache') cache = d;
    else if (d.name === 'loadbalance') {
      if (d.args.length > 0 && d.args[0] !== 'round_robin')
        throw new CorefileError(`loadbalance policy ${d.args[0]} is not supported`, d.line);
      loadBalance = true;
    } else if (d.name === 'health') {
      lameduckMs = healthLameduck(d);
    } else if (!BUILT_IN.has(d.name)) ignoredPlugins.push(d.name);
  }
  if (!kubernetes) throw new CorefileError('no kubernetes plugin in the server block', root.line);

  const k = kubernetesConfig(kubernetes, ignoredOptions);
  const config: DnsConfig = { ...k, cacheTtl: 0, loadBalance, lameduckMs };
  if (forward) Object.assign(config, forwardConfig(forward, ignoredOptions));
  if (cache) config.cacheTtl = cacheTtl(cache, k.zone, ignoredOptions);
  return { config, ignoredPlugins, ignoredOptions };
}

function rootBlock(blocks: ServerBlock[]): ServerBlock {
  const roots = blocks.filter((b) => b.keys.some((k) => /^(dns:\/\/)?\.(:\d+)?$/.test(k)));
  if (roots.length === 0) throw new CorefileError('no server block for the root zone "."');
  if (roots.length > 1)
    throw new CorefileError('several server blocks for "." (one port is served)', roots[1]!.line);
  return roots[0]!;
}

function kubernetesConfig(
  d: Directive,
  ignored: string[],
): Pick<DnsConfig, 'zone' | 'reverseZones' | 'podMode' | 'ttl'> {
  const zones = d.args.map((z) => z.toLowerCase().replace(/\.$/, ''));
  const cluster = zones.filter((z) => !REVERSE.test(z));
  if (cluster.length !== 1)
    throw new CorefileError(
      `kubernetes needs exactly one cluster zone (got ${cluster.length ? cluster.join(', ') : 'none'}); several zones are not supported`,
      d.line,
    );
  const reverseZones = zones.filter((z) => REVERSE.test(z));
  let podMode: PodMode = 'disabled'; // CoreDNS's default without a `pods` line
  let ttl = 5;
  for (const o of d.block ?? []) {
    switch (o.name) {
      case 'pods': {
        const mode = one(o);
        if (mode !== 'insecure' && mode !== 'verified' && mode !== 'disabled')
          throw new CorefileError(
            `pods must be insecure, verified or disabled, got ${mode}`,
            o.line,
          );
        podMode = mode;
        break;
      }
      case 'ttl':
        ttl = seconds(one(o), o, 3600);
        break;
      case 'fallthrough': {
        // Our resolver falls through (forwards) reverse names it does not know; the cluster zone
        // never falls through.
        const through = o.args.map((z) => z.toLowerCase().replace(/\.$/, ''));
        const bad = through.length === 0 ? ['every zone'] : through.filter((z) => !REVERSE.test(z));
        if (bad.length > 0)
          throw new CorefileError(
            `fallthrough is supported for reverse zones only, not ${bad.join(', ')}`,
            o.line,
          );
        break;
      }
      default:
        if (KUBERNETES_NO_EFFECT.has(o.name)) ignored.push(`kubernetes ${o.name}`);
        else throw new CorefileError(`kubernetes option ${o.name} is not supported`, o.line);
    }
  }
  return { zone: cluster[0]!, reverseZones, podMode, ttl };
}

function forwardConfig(
  d: Directive,
  ignored: string[],
): Pick<DnsConfig, 'forward' | 'maxConcurrent'> {
  const [from, ...to] = d.args;
  if (from !== '.')
    throw new CorefileError(`forward only of "." is supported, got ${from ?? 'nothing'}`, d.line);
  if (to.length === 0) throw new CorefileError('forward needs at least one destination', d.line);
  let forward: UpstreamSource;
  if (to.length === 1 && to[0]!.startsWith('/')) {
    forward = { resolvConf: to[0]! };
  } else {
    const upstreams = to.map((t) => {
      if (t.startsWith('/'))
        throw new CorefileError('a resolv.conf path must be the only destination', d.line);
      if (/^[a-z]+:\/\//.test(t) && !t.startsWith('dns://'))
        throw new CorefileError(`forward to ${t}: only plain DNS upstreams are supported`, d.line);
      try {
        return parseUpstream(t.replace(/^dns:\/\//, ''));
      } catch (e) {
        throw new CorefileError(`forward to ${t}: ${(e as Error).message}`, d.line);
      }
    });
    forward = { upstreams };
  }
  let maxConcurrent: number | undefined;
  for (const o of d.block ?? []) {
    if (o.name === 'max_concurrent') maxConcurrent = count(one(o), o);
    else if (FORWARD_NO_EFFECT.has(o.name)) ignored.push(`forward ${o.name}`);
    else throw new CorefileError(`forward option ${o.name} is not supported`, o.line);
  }
  return maxConcurrent === undefined ? { forward } : { forward, maxConcurrent };
}

function cacheTtl(d: Directive, clusterZone: string, ignored: string[]): number {
  // `cache [TTL] [ZONES...]`: zones other than the root would cache only part of the answers.
  const numeric = d.args[0] !== undefined && /^\d+$/.test(d.args[0]);
  const ttlArg = numeric ? d.args[0] : undefined;
  const zones = numeric ? d.args.slice(1) : d.args;
  if (zones.some((z) => z !== '.'))
    throw new CorefileError(
      `cache for zones ${zones.join(' ')} is not supported (only ".")`,
      d.line,
    );
  const inCluster = (z: string): boolean => {
    const name = z.toLowerCase().replace(/\.$/, '');
    return name === clusterZone || name.endsWith(`.${clusterZone}`);
  };
  for (const o of d.block ?? []) {
    // Newer kubeadm writes `disable success|denial cluster.local`: cluster answers are never
    // cached here, so that is what we do anyway.
    const [kind, ...zones] = o.args;
    const disablesCluster =
      (kind === 'success' || kind === 'denial') && zones.length > 0 && zones.every(inCluster);
    if (o.name === 'disable' && disablesCluster) continue;
    if (o.name === 'disable' || CACHE_NO_EFFECT.has(o.name)) ignored.push(`cache ${o.name}`);
    else throw new CorefileError(`cache option ${o.name} is not supported`, o.line);
  }
  // CoreDNS's cache default cap is 3600 s.
  return ttlArg === undefined ? 3600 : seconds(ttlArg, d, 86400);
}

/** `health [ADDRESS] { lameduck DURATION }`: the address is the --health-port flag's business. */
function healthLameduck(d: Directive): number {
  let ms = 0;
  for (const o of d.block ?? []) {
    if (o.name !== 'lameduck')
      throw new CorefileError(`health option ${o.name} is not supported`, o.line);
    ms = duration(one(o), o);
  }
  return ms;
}

/** A Go duration as Corefiles write them: `5s`, `500ms`, `1m30s`. */
function duration(text: string, d: Directive): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new CorefileError(`${d.name} must be a duration like 5s or 500ms, got ${text}`, d.line);
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]!]!, 0));
}

function one(d: Directive): string {
  if (d.args.length !== 1)
    throw new CorefileError(`${d.name} takes one value, got ${d.args.length}`, d.line);
  return d.args[0]!;
}

function seconds(text: string, d: Directive, max: number): number {
  const n = count(text, d);
  if (n > max)
    throw new CorefileError(`${d.name} must be at most ${max} seconds, got ${n}`, d.line);
  return n;
}

function count(text: string, d: Directive): number {
  if (!/^\d+$/.test(text))
    throw new CorefileError(`${d.name} must be a whole number, got ${text}`, d.line);
  return Number(text);
}
