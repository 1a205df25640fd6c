import {
  QueryHandler,
  Zone,
  clusterHandlerOptions,
  createMetrics,
  type ClusterDnsSettings,
  type DnsMetrics,
  type HandlerOptions,
  type Logger as DnsLogger,
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

/** The library's handler options for `config` (the Corefile's settings plus the flags). */
function handlerOptions(
  config: DnsConfig,
  zone: Zone,
  metrics: DnsMetrics,
  options: RuntimeOptions,
): Promise<HandlerOptions> {
  // Without `forward`, no upstreams: names outside the zone are REFUSED.
  const upstreams: Pick<ClusterDnsSettings, 'upstreams' | 'resolvConf'> = !config.forward
    ? { upstreams: [] }
    : 'upstreams' in config.forward
      ? { upstreams: config.forward.upstreams }
      : { resolvConf: config.forward.resolvConf };
  return clusterHandlerOptions(
    {
      zone: config.zone,
      reverseZones: config.reverseZones,
      ttl: config.ttl,
      podMode: config.podMode,
      nameserverIps: options.nameserverIps,
      ...upstreams,
      cacheTtl: config.cacheTtl,
      maxConcurrent: config.maxConcurrent,
      loadBalance: config.loadBalance,
      log: options.log,
    },
    { zone, metrics, host: options.host, port: options.port },
  );
}
