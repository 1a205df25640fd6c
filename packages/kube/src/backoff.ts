import { KubeOptionError } from './errors.js';

export interface BackoffOptions {
  /** First delay; default 500 ms. */
  initialMs?: number;
  /** Cap on the delay before jitter; default 30 s. */
  maxMs?: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /**
   * Fraction of the delay drawn at random: the delay is `d * (1 - jitter + jitter * random())`,
   * so many clients that failed together spread out; default 0.5, 0 disables it.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); Math.random by default (a test passes its own). */
  random?: () => number;
}

/**
 * Capped, jittered exponential backoff. `next()` gives the delay before the next attempt and
 * grows it; `reset()` after a success starts over from `initialMs`.
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  private readonly random: () => number;
  private exponent = 0;
  private count = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.5;
    this.random = opts.random ?? Math.random;
    if (!(this.initialMs > 0)) throw new KubeOptionError('initialMs', 'must be positive');
    if (!(this.maxMs >= this.initialMs)) throw new KubeOptionError('maxMs', 'must be >= initialMs');
    if (!(this.factor >= 1)) throw new KubeOptionError('factor', 'must be >= 1');
    if (!(this.jitter >= 0 && this.jitter <= 1)) {
      throw new KubeOptionError('jitter', 'must be between 0 and 1');
    }
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.count;
  }

  next(): number {
    this.count++;
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.exponent);
    // Stop growing the exponent once capped, so it can never overflow to Infinity.
    if (base < this.maxMs) this.exponent++;
    return Math.round(base * (1 - this.jitter + this.jitter * this.random()));
  }

  reset(): void {
    this.exponent = 0;
    this.count = 0;
  }
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
