import { TestbedTimeoutError } from './errors.js';

/**
 * Polls `check` until it returns a value other than undefined. Errors thrown by `check` count as
 * "not yet" and the last one is reported on timeout, with the log files worth reading.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; logs?: readonly string[]; deadline?: number },
): Promise<T> {
  const deadline = opts.deadline ?? Date.now() + opts.timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) {
      throw new TestbedTimeoutError(what, opts.timeoutMs, opts.logs, lastError);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
