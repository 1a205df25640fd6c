import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    let now = 0;
    const rl = new RateLimiter(10, () => now);
    const limit = { rps: 2, burst: 3 };
    expect([1, 2, 3, 4].map(() => rl.take('ip', limit))).toEqual([true, true, true, false]);
    now += 499; // 0.998 tokens: still refused
    expect(rl.take('ip', limit)).toBe(false);
    now += 2; // one token after 500 ms at 2/s
    expect(rl.take('ip', limit)).toBe(true);
    expect(rl.take('ip', limit)).toBe(false);
    now += 10_000; // refills only up to the burst
    expect([1, 2, 3, 4].map(() => rl.take('ip', limit))).toEqual([true, true, true, false]);
  });

  it('limits each key separately', () => {
    const rl = new RateLimiter(10, () => 0);
    const limit = { rps: 1, burst: 1 };
    expect([rl.take('a', limit), rl.take('b', limit), rl.take('a', limit)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('stays bounded: the least recently seen key is dropped when full', () => {
    const rl = new RateLimiter(3, () => 0);
    const limit = { rps: 1, burst: 1 };
    for (const k of ['a', 'b', 'c']) rl.take(k, limit);
    rl.take('a', limit); // refused, but now the most recent
    rl.take('d', limit); // evicts b
    expect(rl.size).toBe(3);
    expect(rl.take('b', limit)).toBe(true); // b starts over (evicts c)
    expect(rl.take('a', limit)).toBe(false); // a was kept and is still empty
  });
});
