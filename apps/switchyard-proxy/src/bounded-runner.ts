export interface BoundedRunnerOptions {
  /** Two runs never start closer than this (kube-proxy's minSyncPeriod). */
  minIntervalMs: number;
  /** A run starts at least this long after the previous one ended, requested or not. */
  maxIntervalMs: number;
  /** After a run that threw, the next one starts this soon (never sooner than minIntervalMs). */
  retryMs: number;
  /** Gets what a run threw; the runner keeps going. */
  onError: (e: unknown) => void;
}

/**
 * Runs `fn` one at a time, at most once per `minIntervalMs` however often `request()` is called
 * (events arriving in a burst are applied together), at least once per `maxIntervalMs`, and again
 * after `retryMs` when a run fails. The idea of kube-proxy's BoundedFrequencyRunner. Only
 * requested runs count toward the minimum interval: a periodic run nobody asked for must not hold
 * back the first change after it (kube-proxy gets the same from its burst of two).
 */
export class BoundedFrequencyRunner {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private running: Promise<void> | undefined;
  private requested = false;
  /** Start of the last requested run (periodic ones do not count). */
  private lastStart = -Infinity;
  private runStart = -Infinity;
  private stopped = false;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly opts: BoundedRunnerOptions,
  ) {}

  /** The first run happens at once. */
  start(): void {
    this.requested = true;
    this.scheduleIn(0);
  }

  /** Asks for a run as soon as the minimum interval allows. */
  request(): void {
    if (this.stopped) return;
    this.requested = true;
    if (this.running) return; // picked up when the current run ends
    this.scheduleIn(this.lastStart + this.opts.minIntervalMs - Date.now());
  }

  /** No new run starts; resolves when the current one (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  // Moves the next run earlier, never later: a pending earlier run is kept.
  private scheduleIn(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
  }

  private tick(): void {
    this.timer = undefined;
    this.dueAt = Infinity;
    if (this.stopped || this.running) return;
    this.runStart = Date.now();
    if (this.requested) this.lastStart = this.runStart;
    this.requested = false;
    let failed = false;
    this.running = this.fn()
      .catch((e: unknown) => {
        failed = true;
        try {
          this.opts.onError(e);
        } catch {
          // An error reporter that throws must not stop the loop.
        }
      })
      .finally(() => {
        this.running = undefined;
        const soonest = this.opts.minIntervalMs - (Date.now() - this.lastStart);
        this.scheduleIn(this.opts.maxIntervalMs);
        const sinceRun = Date.now() - this.runStart;
        if (failed)
          this.scheduleIn(Math.max(this.opts.minIntervalMs - sinceRun, this.opts.retryMs));
        if (this.requested) this.scheduleIn(soonest);
      });
  }
}
