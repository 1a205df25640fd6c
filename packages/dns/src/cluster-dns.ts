import { DnsCache } from './cache.js';
import { Forwarder } from './forwarder.js';
import { QueryHandler, type HandlerOptions, type Logger } from './handler.js';
import { createMetrics, type DnsMetrics } from './metrics.js';
import { readResolvConf, type Upstream } from './resolv-conf.js';
import { Resolver, type ResolverOptions } from './resolver.js';
import { isSelfUpstream } from './self-upstream.js';
import { startDnsServer, type DnsServer, type DnsServerOptions } from './server.js';
import { Zone } from './zone.js';

export interface ClusterDnsOptions extends ResolverOptions {
  /** Listen address; default "0.0.0.0". */
  host?: string;
  /** UDP and TCP port; default 53 (0 picks an ephemeral one). */
  port?: number;
  /** Upstream resolvers; default: the nameservers of `resolvConf`. */
  upstreams?: Upstream[];
  /** resolv.conf to read upstreams from when `upstreams` is not given; default /etc/resolv.conf. */
  resolvConf?: string;
  /**
   * Cache cap in seconds for positive and negative answers (kubeadm's `cache 30`); default 30,
   * 0 for no forward cache.
   */
  cacheTtl?: number;
  cacheEntries?: number;
  /** Per-upstream timeout and overall deadline, ms; defaults 2000 and 5000. */
  upstreamTimeoutMs?: number;
  upstreamDeadlineMs?: number;
  maxConcurrent?: number;
  /** Shuffle A/AAAA answers like CoreDNS's `loadbalance`; default true. */
  loadBalance?: boolean;
  tcp?: DnsServerOptions['tcp'];
  log?: Logger;
}

/** What `ClusterDns.reconfigure` can change: everything but the listeners. */
export type ClusterDnsSettings = Omit<ClusterDnsOptions, 'host' | 'port' | 'tcp'>;

/** A running cluster DNS: feed `zone` from informers, call `zone.markSynced()`, expose `metrics`. */
export interface ClusterDns {
  readonly zone: Zone;
  /** The resolver in force (a new one after each reconfigure). */
  readonly resolver: Resolver;
  readonly metrics: DnsMetrics;
  readonly server: DnsServer;
  readonly handler: QueryHandler;
  /**
   * Switches to new settings while the sockets keep serving (a Corefile reload): the settings
   * given replace those in force, the others keep their values. The zone and the metrics stay;
   * the resolver, the forwarder and its cache, and the cached replies are rebuilt. Throws
   * DnsConfigError or ResolvConfError, changing nothing, when the new settings cannot be built;
   * queries already being answered finish on the old ones.
   */
  reconfigure(settings: ClusterDnsSettings): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything a CoreDNS-replacing app needs, wired the way kubeadm's Corefile wires CoreDNS:
 * the kubernetes zone (answers SERVFAIL until `zone.markSynced()`), the reverse zones with
 * fall-through, forwarding to the resolv.conf nameservers through a cache, on UDP and TCP.
 */
export async function startClusterDns(options: ClusterDnsOptions = {}): Promise<ClusterDns> {
  const host = options.host ?? '0.0.0.0';
  const port = options.port ?? 53;
  const zone = new Zone();
  const metrics = createMetrics();
  let current = options;
  let built = await clusterHandlerOptions(current, { zone, metrics, host, port });
  const handler = new QueryHandler(built);
  const server = await startDnsServer({
    handler,
    host,
    port,
    tcp: options.tcp,
    log: options.log,
  });
  return {
    zone,
    metrics,
    server,
    handler,
    get resolver(): Resolver {
      return built.resolver;
    },
    reconfigure: async (settings) => {
      const next = { ...current, ...settings };
      // The port bound at start (which port 0 picked) is the one to keep out of the upstreams.
      const nextBuilt = await clusterHandlerOptions(next, {
        zone,
        metrics,
        host,
        port: server.port,
      });
      handler.reconfigure(nextBuilt);
      built = nextBuilt;
      current = next;
    },
    close: () => server.close(),
  };
}

/** What the settings are built around: the long-lived zone and metrics, and our own address. */
export interface ClusterParts {
  zone: Zone;
  metrics: DnsMetrics;
  /** The DNS listener's address and port, kept out of the upstreams. */
  host: string;
  port: number;
}

/**
 * The handler options (resolver, forwarder with its cache) for `settings`, as startClusterDns
 * and its `reconfigure` build them, for apps that run their own servers and hand the result to
 * `QueryHandler` or `handler.reconfigure`. Upstreams that are this server itself (its
 * host:port, one of `nameserverIps`, or loopback when it listens everywhere) are dropped with a
 * warning; `cacheTtl: 0` forwards without a cache. Throws DnsConfigError or ResolvConfError
 * before anything is in use.
 */
export async function clusterHandlerOptions(
  settings: ClusterDnsSettings,
  parts: ClusterParts,
): Promise<HandlerOptions & { resolver: Resolver }> {
  const { zone, metrics, host, port } = parts;
  const log = settings.log;
  const configured = settings.upstreams ?? (await readResolvConf(settings.resolvConf)).nameservers;
  // Forwarding to ourselves would loop each query until it times out (CoreDNS's `loop` plugin
  // exists for this: a pod's resolv.conf naming 127.0.0.53 reaches the pod's own port 53).
  const upstreams = configured.filter(
    (u) => !isSelfUpstream(u, host, port, settings.nameserverIps),
  );
  for (const u of configured)
    if (!upstreams.includes(u))
      log?.('warn', 'dropping an upstream that is this server itself', { upstream: u });
  const resolver = new Resolver(zone, settings);
  const ttl = settings.cacheTtl ?? 30;
  const forwarder =
    upstreams.length > 0
      ? new Forwarder({
          upstreams,
          timeoutMs: settings.upstreamTimeoutMs,
          deadlineMs: settings.upstreamDeadlineMs,
          maxConcurrent: settings.maxConcurrent,
          cache:
            ttl > 0
              ? new DnsCache({
                  maxTtl: ttl,
                  maxNegativeTtl: ttl,
                  maxEntries: settings.cacheEntries,
                })
              : false,
          metrics,
        })
      : undefined;
  if (!forwarder)
    log?.('warn', 'no usable upstream nameservers: names outside the zone are REFUSED');
  return { resolver, forwarder, metrics, loadBalance: settings.loadBalance, log };
}
