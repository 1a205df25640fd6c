import { MetricError } from './errors.js';

export type Labels = Record<string, string>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default histogram buckets, in seconds (the Prometheus client defaults). */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface Metric {
  readonly name: string;
  render(): string;
}

abstract class Labelled<S> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new MetricError(`bad metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') {
        throw new MetricError(`${name}: bad label name ${JSON.stringify(l)}`);
      }
    }
  }

  protected abstract readonly type: string;
  protected abstract initial(): S;
  protected abstract lines(labels: Labels, state: S): string[];

  /** The series for exactly these labels, created on first use. */
  protected state(labels: Labels): S {
    const keys = Object.keys(labels);
    if (
      keys.length !== this.labelNames.length ||
      !this.labelNames.every((l) => typeof labels[l] === 'string')
    ) {
      throw new MetricError(
        `${this.name}: labels must be exactly {${this.labelNames.join(', ')}}, got {${keys.join(', ')}}`,
      );
    }
    const key = this.labelNames.map((l) => labels[l]).join('\u0000');
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** Forgets a series (e.g. an informer that was removed). */
  remove(labels: Labels = {}): void {
    this.series.delete(this.labelNames.map((l) => labels[l]).join('\u0000'));
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const { labels, state } of this.series.values()) {
      for (const line of this.lines(labels, state)) out += line + '\n';
    }
    return out;
  }
}

/** A value that only goes up (resets only when the process restarts). */
export class Counter extends Labelled<{ v: number }> {
  protected readonly type = 'counter';
  protected initial(): { v: number } {
    return { v: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new MetricError(`${this.name}: counters only go up (got ${by})`);
    this.state(labels).v += by;
  }
  get(labels: Labels = {}): number {
    return this.state(labels).v;
  }
  /** The total over every series whose labels include all of `match`. */
  sum(match: Labels = {}): number {
    let total = 0;
    for (const { labels, state } of this.series.values()) {
      if (Object.entries(match).every(([k, v]) => labels[k] === v)) total += state.v;
    }
    return total;
  }
  protected lines(labels: Labels, s: { v: number }): string[] {
    return [`${this.name}${formatLabels(labels)} ${formatValue(s.v)}`];
  }
}

/** A value that goes up and down. */
export class Gauge extends Labelled<{ v: number }> {
  protected readonly type = 'gauge';
  protected initial(): { v: number } {
    return { v: 0 };
  }
  set(labels: Labels, value: number): void {
    if (typeof value !== 'number') throw new MetricError(`${this.name}: value must be a number`);
    this.state(labels).v = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.state(labels).v += by;
  }
  get(labels: Labels = {}): number {
    return this.state(labels).v;
  }
  protected lines(labels: Labels, s: { v: number }): string[] {
    return [`${this.name}${formatLabels(labels)} ${formatValue(s.v)}`];
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with `_sum` and `_count`. */
export class Histogram extends Labelled<HistogramState> {
  protected readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    if (
      buckets.length === 0 ||
      buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))
    ) {
      throw new MetricError(`${name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = [...buckets];
  }

  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) throw new MetricError(`${this.name}: cannot observe NaN`);
    const s = this.state(labels);
    // Each bucket counts only its own range here; rendering makes them cumulative.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Times `fn` and observes its duration in seconds, whether it resolves or throws. */
  async time<T>(labels: Labels, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      this.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    }
  }

  protected lines(labels: Labels, s: HistogramState): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += s.counts[i]!;
      out.push(
        `${this.name}_bucket${formatLabels({ ...labels, le: formatValue(b) })} ${cumulative}`,
      );
    });
    out.push(`${this.name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${s.count}`);
    out.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(s.sum)}`);
    out.push(`${this.name}_count${formatLabels(labels)} ${s.count}`);
    return out;
  }
}

/** Our own small registry; `render()` gives the Prometheus text exposition format 0.0.4. */
export class Registry {
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /**
   * Returns the metric already registered under `name` when it has the same type and labels (so
   * several informers can share one family), and throws MetricError on a mismatch.
   */
  private add<M extends Counter | Gauge | Histogram>(metric: M): M {
    const existing = this.metrics.get(metric.name);
    if (existing) {
      const same =
        existing.constructor === metric.constructor &&
        (existing as M).labelNames.join(',') === metric.labelNames.join(',');
      if (!same) throw new MetricError(`${metric.name} is already registered with another shape`);
      return existing as M;
    }
    this.metrics.set(metric.name, metric);
    return metric;
  }

  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go-style float text: `+Inf`, `-Inf`, `NaN`, otherwise the shortest round-trip form. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}
