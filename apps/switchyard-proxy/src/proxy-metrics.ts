import type { Counter, Gauge, Histogram, Registry } from '@switchyard/kube';

/** `start * 2^i` for i < count: the exponential buckets kube-proxy uses for these histograms. */
export function exponentialBuckets(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * 2 ** i);
}

/**
 * The proxy's metric families. Names are kube-proxy's with `switchyard_proxy_` in place of
 * `kubeproxy_`, so a kube-proxy dashboard ports by renaming.
 */
export class ProxyMetrics {
  readonly syncDuration: Histogram;
  readonly programmingDuration: Histogram;
  readonly lastSync: Gauge;
  readonly syncs: Counter;
  readonly repairs: Counter;
  readonly conntrackDeletions: Counter;
  readonly servicePorts: Gauge;
  readonly skipped: Gauge;
  readonly healthCheckServers: Gauge;

  constructor(registry: Registry) {
    this.syncDuration = registry.histogram(
      'switchyard_proxy_sync_proxy_rules_duration_seconds',
      'Time to compute and apply one nftables transaction (partial or full)',
      [],
      exponentialBuckets(0.001, 15),
    );
    this.programmingDuration = registry.histogram(
      'switchyard_proxy_network_programming_duration_seconds',
      'From an EndpointSlice change (its endpoints.kubernetes.io/last-change-trigger-time) to the rules in the kernel',
      [],
      exponentialBuckets(0.001, 20),
    );
    this.lastSync = registry.gauge(
      'switchyard_proxy_sync_proxy_rules_last_timestamp_seconds',
      'When the rules were last applied successfully (Unix seconds)',
    );
    this.syncs = registry.counter(
      'switchyard_proxy_syncs_total',
      'Syncs by kind (partial: only changed services; full: the whole table replaced) and result',
      ['kind', 'result'],
    );
    this.repairs = registry.counter(
      'switchyard_proxy_table_repairs_total',
      'Full replacements forced because the kernel did not hold what we wrote, by how it was found',
      ['reason'],
    );
    this.conntrackDeletions = registry.counter(
      'switchyard_proxy_conntrack_cleanups_total',
      'conntrack -D runs for stale UDP entries, by whether any entry was deleted',
      ['deleted'],
    );
    this.servicePorts = registry.gauge(
      'switchyard_proxy_service_ports',
      'Proxied service ports (per IP family) in the current rules',
    );
    this.skipped = registry.gauge(
      'switchyard_proxy_skipped_objects',
      'Services and EndpointSlices left out of the rules because they are invalid',
    );
    this.healthCheckServers = registry.gauge(
      'switchyard_proxy_health_check_node_port_servers',
      'healthCheckNodePort servers listening (externalTrafficPolicy Local services)',
    );
  }
}
