import { RRType, typeName } from './constants.js';

/** One label set's count; a hot path holding it bumps `value` without building labels again. */
export interface CounterSeries {
  readonly labels: Record<string, string>;
  value: number;
}

/** A counter split by label values; `inc` is all the hot path does. */
export class LabeledCounter {
  private readonly values = new Map<string, CounterSeries>();

  inc(labels: Record<string, string>, by = 1): void {
    this.series(labels).value += by;
  }

  /** The series for `labels` (created at zero), to increment directly. */
  series(labels: Record<string, string>): CounterSeries {
    const key = keyOf(labels);
    let v = this.values.get(key);
    if (!v) this.values.set(key, (v = { labels, value: 0 }));
    return v;
  }

  get(labels: Record<string, string>): number {
    return this.values.get(keyOf(labels))?.value ?? 0;
  }

  entries(): { labels: Record<string, string>; value: number }[] {
    return [...this.values.values()];
  }
}

/** CoreDNS's request-duration buckets: 0.25 ms doubling up to 8.192 s. */
export const DURATION_BUCKETS: readonly number[] = Array.from(
  { length: 16 },
  (_, i) => 0.00025 * 2 ** i,
);

/** One label set's histogram; a hot path holding it calls `observe` without building labels. */
export class HistogramSeries {
  /** Per-bucket (not cumulative) counts; the last slot counts values above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly buckets: readonly number[],
  ) {
    this.counts = new Array<number>(buckets.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > (this.buckets[i] as number)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }
}

/** A histogram split by label values, rendered with cumulative `le` buckets. */
export class LabeledHistogram {
  private readonly values = new Map<string, HistogramSeries>();

  constructor(readonly buckets: readonly number[] = DURATION_BUCKETS) {}

  observe(labels: Record<string, string>, value: number): void {
    this.series(labels).observe(value);
  }

  /** The series for `labels` (created empty), to observe into directly. */
  series(labels: Record<string, string>): HistogramSeries {
    const key = keyOf(labels);
    let e = this.values.get(key);
    if (!e) this.values.set(key, (e = new HistogramSeries(labels, this.buckets)));
    return e;
  }

  entries(): HistogramSeries[] {
    return [...this.values.values()];
  }
}

/** Cheaper than JSON.stringify on the hot path; names and values never hold NUL. */
function keyOf(labels: Record<string, string>): string {
  let key = '';
  for (const k in labels) key += `${k}\u0000${labels[k]}\u0000`;
  return key;
}

/** Counters the handler and forwarder update; an app exposes them with renderPrometheus. */
export interface DnsMetrics {
  /** By zone ("cluster.local." or "."), proto, family (1 IPv4, 2 IPv6, as CoreDNS) and type. */
  requests: LabeledCounter;
  /** By zone, rcode and plugin ("kubernetes" answered, "forward" went upstream). */
  responses: LabeledCounter;
  /** By type: "success" or "denial" (negative answers). */
  cacheHits: LabeledCounter;
  cacheMisses: LabeledCounter;
  /** By upstream ("1.2.3.4:53"). */
  forwardRequests: LabeledCounter;
  /** By upstream and rcode; a timeout or network error counts as rcode "error". */
  forwardResponses: LabeledCounter;
  forwardConcurrentRejects: LabeledCounter;
  /** Requests we could not parse, by action: "formerr" answered or "drop" ignored. */
  malformed: LabeledCounter;
  /** Seconds from a decoded request to its encoded reply, by zone and type. */
  requestDuration: LabeledHistogram;
}

export function createMetrics(): DnsMetrics {
  return {
    requests: new LabeledCounter(),
    responses: new LabeledCounter(),
    cacheHits: new LabeledCounter(),
    cacheMisses: new LabeledCounter(),
    forwardRequests: new LabeledCounter(),
    forwardResponses: new LabeledCounter(),
    forwardConcurrentRejects: new LabeledCounter(),
    malformed: new LabeledCounter(),
    requestDuration: new LabeledHistogram(),
  };
}

const knownTypes = new Set<number>(Object.values(RRType));

/** Type label with bounded cardinality: named types, else "other" (a fuzzer sends all 65536). */
export function typeLabel(type: number): string {
  return knownTypes.has(type) ? typeName(type) : 'other';
}

const families = [
  [
    'coredns_dns_requests_total',
    'Counter of DNS requests made per zone, protocol and family.',
    'requests',
  ],
  ['coredns_dns_responses_total', 'Counter of response status codes.', 'responses'],
  ['coredns_cache_hits_total', 'The count of cache hits.', 'cacheHits'],
  ['coredns_cache_misses_total', 'The count of cache misses.', 'cacheMisses'],
  ['coredns_forward_requests_total', 'Counter of requests made per upstream.', 'forwardRequests'],
  [
    'coredns_forward_responses_total',
    'Counter of responses received per upstream.',
    'forwardResponses',
  ],
  [
    'coredns_forward_max_concurrent_rejects_total',
    'Counter of queries rejected because the concurrent queries were at maximum.',
    'forwardConcurrentRejects',
  ],
  ['switchyard_dns_malformed_requests_total', 'Requests that could not be parsed.', 'malformed'],
] as const;

/**
 * Prometheus text exposition (format 0.0.4) of the counters, named like CoreDNS's so existing
 * dashboards keep working. `server` is the CoreDNS-style server label, e.g. "dns://:53".
 */
export function renderPrometheus(metrics: DnsMetrics, server = 'dns://:53'): string {
  const lines: string[] = [];
  for (const [name, help, field] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    const perServer = !name.startsWith('coredns_forward');
    for (const { labels, value } of metrics[field].entries()) {
      const text = labelText(perServer ? { server, ...labels } : labels);
      lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
  }
  const duration = 'coredns_dns_request_duration_seconds';
  lines.push(
    `# HELP ${duration} Histogram of the time (in seconds) each request took.`,
    `# TYPE ${duration} histogram`,
  );
  const bounds = metrics.requestDuration.buckets;
  for (const e of metrics.requestDuration.entries()) {
    const base = labelText({ server, ...e.labels });
    let cumulative = 0;
    bounds.forEach((b, i) => {
      cumulative += e.counts[i] ?? 0;
      lines.push(`${duration}_bucket{${base},le="${b}"} ${cumulative}`);
    });
    lines.push(`${duration}_bucket{${base},le="+Inf"} ${e.count}`);
    lines.push(`${duration}_sum{${base}} ${e.sum}`, `${duration}_count{${base}} ${e.count}`);
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
