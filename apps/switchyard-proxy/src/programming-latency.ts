/** Annotation the EndpointSlice controller sets to when the change it reflects was triggered. */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * Collects the trigger times of EndpointSlice changes not yet in the kernel, each once (a slice
 * updated again with the same annotation adds nothing), for
 * `network_programming_duration_seconds`: observed when a sync that contains them succeeds.
 */
export class ProgrammingLatency {
  private readonly seen = new Map<string, string>();
  private pending: number[] = [];

  /** Records the slice's trigger time if it is new; `initial` objects (the first list) only seed. */
  note(sliceKey: string, annotations: Record<string, string> | undefined, initial: boolean): void {
    const value = annotations?.[TRIGGER_TIME_ANNOTATION];
    if (value === undefined || this.seen.get(sliceKey) === value) return;
    this.seen.set(sliceKey, value);
    const t = Date.parse(value);
    if (!initial && Number.isFinite(t)) this.pending.push(t);
  }

  forget(sliceKey: string): void {
    this.seen.delete(sliceKey);
  }

  /** Trigger times (ms) noted since the last call: the changes the next commit carries. */
  take(): number[] {
    const batch = this.pending;
    this.pending = [];
    return batch;
  }

  /** Puts back the times of a sync that failed, for the next one to observe. */
  requeue(batch: readonly number[]): void {
    this.pending.unshift(...batch);
  }
}

/** Seconds from each trigger time to `now`; never negative (the controller's clock may be ahead). */
export function ages(batch: readonly number[], now: number): number[] {
  return batch.map((t) => Math.max(0, (now - t) / 1000));
}
