import { describe, expect, it } from 'vitest';
import { cookieValue, pickWeighted, useCanary } from '../src/backend-picker.js';
import type { Canary, WeightedBackend } from '../src/route.js';

const b = (name: string, weight: number): WeightedBackend => ({
  service: { namespace: 'n', name, port: 80 },
  weight,
});

/** Evenly spaced "random" values: the exact shares weights promise, with no sampling noise. */
function grid(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i + 0.5) / n);
}

describe('pickWeighted', () => {
  it('gives each backend weight/sum of the traffic and never picks weight 0', () => {
    const backends = [b('a', 70), b('b', 30), b('c', 0)];
    const counts: Record<string, number> = {};
    for (const r of grid(1000)) {
      const name = pickWeighted(backends, () => r)?.service?.name ?? 'none';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 700, b: 300 });
  });

  it('returns undefined when nothing has weight (the proxy answers 500)', () => {
    expect(pickWeighted([b('a', 0), b('b', 0)], () => 0.5)).toBeUndefined();
    expect(pickWeighted([], () => 0.5)).toBeUndefined();
  });

  it('handles random() at the top of its range', () => {
    expect(pickWeighted([b('a', 1), b('b', 1), b('z', 0)], () => 0.9999999999)?.service?.name).toBe(
      'b',
    );
  });
});

describe('canary selection (ingress-nginx order)', () => {
  const base: Canary = { backends: [b('canary', 1)], weight: 0, weightTotal: 100 };

  it('header "always"/"never" decides before the cookie and the weight', () => {
    const c: Canary = { ...base, header: { name: 'x-canary' }, cookie: 'beta', weight: 100 };
    expect(useCanary(c, { 'x-canary': 'never', cookie: 'beta=always' }, () => 0)).toBe(false);
    expect(
      useCanary({ ...c, weight: 0 }, { 'x-canary': 'always', cookie: 'beta=never' }, () => 0),
    ).toBe(true);
    expect(
      useCanary({ ...c, weight: 0 }, { 'x-canary': 'other', cookie: 'a=1; beta=always' }, () => 0),
    ).toBe(true);
  });

  it('header value and pattern: a match selects the canary, anything else falls through', () => {
    const byValue: Canary = { ...base, header: { name: 'x-v', value: 'v2' } };
    expect(useCanary(byValue, { 'x-v': 'v2' }, () => 0.99)).toBe(true);
    expect(useCanary(byValue, { 'x-v': 'always' }, () => 0.99)).toBe(false);
    const byPattern: Canary = { ...base, header: { name: 'x-v', pattern: /^beta-/ } };
    expect(useCanary(byPattern, { 'x-v': 'beta-7' }, () => 0.99)).toBe(true);
  });

  it('weight: weight/weightTotal of the remaining requests', () => {
    const c: Canary = { ...base, weight: 25, weightTotal: 100 };
    expect(grid(400).filter((r) => useCanary(c, {}, () => r)).length).toBe(100);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; route=xyz; b=2', 'route')).toBe('xyz');
    expect(cookieValue('a=1', 'route')).toBeUndefined();
    expect(cookieValue(undefined, 'route')).toBeUndefined();
  });
});
