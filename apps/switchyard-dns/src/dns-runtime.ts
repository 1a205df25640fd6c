import {
  isSelfUpstream,
  DnsCache,
  Forwarder,
  QueryHandler,
  Resolver,
  Zone,
  createMetrics,
  readResolvConf,
  type DnsMetrics,
  type HandlerOptions,
  type Logger as DnsLogger,
  type Upstream,
} from '@switchyard/dns';
import type { DnsConfig } from './dns-config.js';

export interface RuntimeOptions {
  /** The DNS listener's address and port, to keep the server from forwarding to itself. */
  host: string;
  port: number;
  nameserverIps: string[];
  log: DnsLogger;
}

/**
 * The long-lived DNS state (one zone, one set of metrics, the handler the sockets use) and the
 * config-dependent parts built around it (resolver, forwarder with its cache). `apply` builds
 * the new parts completely, then hands them to `QueryHandler.reconfigure`, so a config that
 * fails to build leaves the running one untouched.
 */
export class DnsRuntime {
  readonly handler: QueryHandler;

  private constructor(
    private readonly options: RuntimeOptions,
    readonly zone: Zone,
    readonly metrics: DnsMetrics,
    private applied: DnsConfig,
    first: HandlerOptions,
  ) {
    this.handler = new QueryHandler(first);
  }

  /** Builds the runtime for `config`; throws DnsConfigError or ResolvConfError when it cannot. */
  static async create(config: DnsConfig, options: RuntimeOptions): Promise<DnsRuntime> {
    const zone = new Zone();
    const metrics = createMetrics();
    const first = await handlerOptions(config, zone, metrics, options);
    return new DnsRuntime(options, zone, metrics, config, first);
  }

  get config(): DnsConfig {
    return this.applied;
  }

  /** Switches to `config`; throws (and keeps the current config) when it cannot be built. */
  async apply(config: DnsConfig): Promise<void> {
    this.handler.reconfigure(await handlerOptions(config, this.zone, this.metrics, this.options));
    this.applied = config;
  }
}

async function handlerOptions(
  config: DnsConfig,
  zone: Zone,
  metrics: DnsMetrics,
  options: RuntimeOptions,
): Promise<HandlerOptions> {
  const { log } = options;
  const resolver = new Resolver(zone, {
    zone: config.zone,
    reverseZones: config.reverseZones,
    ttl: config.ttl,
    podMode: config.podMode,
    nameserverIps: options.nameserverIps,
  });
  const upstreams = await usableUpstreams(config, options);
  if (config.forward && upstreams.length === 0)
    log('warn', 'no usable upstream nameservers: names outside the zone are REFUSED');
  const forwarder =
    upstreams.length > 0
      ? new Forwarder({
          upstreams,
          maxConcurrent: config.maxConcurrent,
          cache:
            config.cacheTtl > 0
              ? new DnsCache({ maxTtl: config.cacheTtl, maxNegativeTtl: config.cacheTtl })
              : false,
          metrics,
        })
      : undefined;
  return { resolver, forwarder, metrics, loadBalance: config.loadBalance, log };
}

async function usableUpstreams(config: DnsConfig, options: RuntimeOptions): Promise<Upstream[]> {
  if (!config.forward) return [];
  const all =
    'upstreams' in config.forward
      ? config.forward.upstreams
      : (await readResolvConf(config.forward.resolvConf)).nameservers;
  // Forwarding to ourselves would bounce each query until it times out (CoreDNS's `loop`).
  const usable = all.filter(
    (u) => !isSelfUpstream(u, options.host, options.port, options.nameserverIps),
  );
  for (const u of all)
    if (!usable.includes(u))
      options.log('warn', 'dropping an upstream that is this server itself', {
        upstream: `${u.host}:${u.port}`,
      });
  return usable;
}
