import { type Counter, type Gauge, type Histogram, Registry } from './metrics.js';
import type { WatchEnd } from './informer.js';

const ENDS: readonly WatchEnd[] = ['closed', 'expired', 'silent', 'error'];

/** The metric families every informer reports into, labelled by informer name. */
export class InformerMetrics {
  readonly events: Counter;
  readonly ends: Counter;
  readonly relists: Counter;
  readonly failures: Counter;
  readonly handlerErrors: Counter;
  readonly objects: Gauge;
  readonly synced: Gauge;
  readonly lastSync: Gauge;
  readonly listDuration: Histogram;

  constructor(
    registry: Registry | undefined,
    private readonly informer: string,
  ) {
    const r = registry ?? new Registry();
    this.events = r.counter('switchyard_informer_events_total', 'Watch events received, by type.', [
      'informer',
      'type',
    ]);
    this.ends = r.counter(
      'switchyard_informer_watch_ends_total',
      'Watches that ended and were reopened, by reason (closed, expired, silent, error).',
      ['informer', 'reason'],
    );
    this.relists = r.counter(
      'switchyard_informer_relists_total',
      'Complete lists (the first one and every one after a 410).',
      ['informer'],
    );
    this.failures = r.counter(
      'switchyard_informer_failures_total',
      'Failed list or watch attempts, each followed by a backoff; code is the HTTP status or none.',
      ['informer', 'stage', 'code'],
    );
    this.handlerErrors = r.counter(
      'switchyard_informer_handler_errors_total',
      'Event handlers that threw.',
      ['informer', 'event'],
    );
    this.objects = r.gauge('switchyard_informer_objects', 'Objects in the informer cache.', [
      'informer',
    ]);
    this.synced = r.gauge('switchyard_informer_synced', '1 once the first list completed.', [
      'informer',
    ]);
    this.lastSync = r.gauge(
      'switchyard_informer_last_sync_timestamp_seconds',
      'Unix time of the last complete list.',
      ['informer'],
    );
    this.listDuration = r.histogram(
      'switchyard_informer_list_duration_seconds',
      'Time to list the collection (all pages).',
      ['informer'],
    );
    const l = { informer };
    this.relists.inc(l, 0);
    this.synced.set(l, 0);
    for (const reason of ENDS) this.ends.inc({ informer, reason }, 0);
  }

  watchEnd(reason: WatchEnd): void {
    this.ends.inc({ informer: this.informer, reason });
  }

  watchEnds(): Record<WatchEnd, number> {
    const out = {} as Record<WatchEnd, number>;
    for (const reason of ENDS) out[reason] = this.ends.get({ informer: this.informer, reason });
    return out;
  }

  relisted(objects: number, at: Date, seconds: number): void {
    const l = { informer: this.informer };
    this.relists.inc(l);
    this.objects.set(l, objects);
    this.synced.set(l, 1);
    this.lastSync.set(l, at.getTime() / 1000);
    this.listDuration.observe(l, seconds);
  }

  failuresTotal(): number {
    return this.failures.sum({ informer: this.informer });
  }

  eventsTotal(): number {
    return this.events.sum({ informer: this.informer });
  }
}
