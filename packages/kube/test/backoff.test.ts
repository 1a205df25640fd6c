import { describe, expect, it } from 'vitest';
import { Backoff, sleep } from '../src/backoff.js';
import { KubeOptionError } from '../src/errors.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, then stays there', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
    expect(b.failures).toBe(7);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 50, maxMs: 400, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(50);
  });

  it('draws the jittered part from [d*(1-j), d]', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0.999999 });
    expect(low.next()).toBe(500);
    expect(high.next()).toBe(1000);
    const real = new Backoff({ initialMs: 1000, maxMs: 1000 });
    for (let i = 0; i < 200; i++) {
      const d = real.next();
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });

  it('never overflows, however many failures', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 30_000, factor: 10, jitter: 0 });
    for (let i = 0; i < 5000; i++) b.next();
    expect(b.next()).toBe(30_000);
  });

  it('rejects nonsense options with KubeOptionError', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(KubeOptionError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 50 })).toThrow(/maxMs/);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor/);
    expect(() => new Backoff({ jitter: 2 })).toThrow(/jitter/);
  });
});

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 20);
    await sleep(10_000, ac.signal);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits the full time otherwise', async () => {
    const started = Date.now();
    await sleep(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});
