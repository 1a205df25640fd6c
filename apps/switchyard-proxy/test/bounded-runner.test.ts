import { afterEach, describe, expect, it } from 'vitest';
import { BoundedFrequencyRunner } from '../src/bounded-runner.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let runner: BoundedFrequencyRunner | undefined;

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await sleep(5);
  }
}
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
});

function counting(
  opts: { min: number; max: number; retry?: number },
  body: (n: number) => Promise<void> = async () => undefined,
): { starts: number[]; errors: unknown[] } {
  const starts: number[] = [];
  const errors: unknown[] = [];
  runner = new BoundedFrequencyRunner(
    async () => {
      starts.push(Date.now());
      await body(starts.length);
    },
    {
      minIntervalMs: opts.min,
      maxIntervalMs: opts.max,
      retryMs: opts.retry ?? opts.min,
      onError: (e) => errors.push(e),
    },
  );
  return { starts, errors };
}

describe('BoundedFrequencyRunner', () => {
  it('runs at once on start, then folds a burst of requests into one run per min interval', async () => {
    const { starts } = counting({ min: 200, max: 10_000 });
    runner!.start();
    await until(() => starts.length === 1);
    for (let i = 0; i < 50; i++) runner!.request();
    await sleep(600);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(195);
  });

  it('runs every max interval without requests, never sooner', async () => {
    const { starts } = counting({ min: 10, max: 100 });
    runner!.start();
    await until(() => starts.length >= 4);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(95);
    }
  });

  it('a periodic run does not hold back the first request after it', async () => {
    const { starts } = counting({ min: 300, max: 500 });
    runner!.start();
    await until(() => starts.length === 2); // the start, then a periodic run ~500 ms later
    const asked = Date.now();
    runner!.request();
    await until(() => starts.length === 3);
    expect(starts[2]! - asked).toBeLessThan(100); // not min (300 ms) after the periodic run
    // two requested runs are still spaced by the minimum interval
    runner!.request();
    await until(() => starts.length === 4, 2000);
    expect(starts[3]! - starts[2]!).toBeGreaterThanOrEqual(295);
  });

  it('never overlaps runs; a request during a run is served after it', async () => {
    let active = 0;
    let maxActive = 0;
    const { starts } = counting({ min: 1, max: 10_000 }, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(80);
      active--;
    });
    runner!.start();
    await sleep(20);
    runner!.request();
    runner!.request();
    await sleep(250);
    expect(maxActive).toBe(1);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(75);
  });

  it('reports a failed run and retries it after the retry delay', async () => {
    const { starts, errors } = counting({ min: 10, max: 10_000, retry: 100 }, async (n) => {
      if (n === 1) throw new Error('nft said no');
    });
    runner!.start();
    await until(() => starts.length === 2);
    expect(errors).toHaveLength(1);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(95);
  });

  it('stop waits for the current run and starts no other', async () => {
    let finished = false;
    const { starts } = counting({ min: 1, max: 20 }, async () => {
      await sleep(60);
      finished = true;
    });
    runner!.start();
    await sleep(10);
    runner!.request();
    await runner!.stop();
    expect(finished).toBe(true);
    await sleep(80);
    expect(starts).toHaveLength(1);
  });
});
