import { describe, expect, it } from 'vitest';
import { pathMatches } from '../src/path-match.js';
import { comparePrecedence } from '../src/precedence.js';
import type { PathMatch, Route } from '../src/route.js';
import { RouteList } from '../src/route-list.js';

/** Deterministic pseudo-random numbers (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = ['', 'a', 'b', 'api', 'v1', 'x'];

describe('RouteList (segment-indexed lookup)', () => {
  it('finds exactly what a linear scan in precedence order finds', () => {
    const rnd = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const randomPath = (): string => {
      const n = 1 + Math.floor(rnd() * 3);
      let p = '';
      for (let i = 0; i < n; i++) p += `/${pick(SEGMENTS)}`;
      return rnd() < 0.2 ? `${p}/` : p;
    };
    const routes: Route[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = pick(['Exact', 'Prefix', 'Prefix', 'RegularExpression'] as const);
      const value = kind === 'Prefix' && rnd() < 0.1 ? '/' : randomPath();
      const path: PathMatch =
        kind === 'RegularExpression'
          ? { type: kind, value, regex: new RegExp(`^${value.replace(/a/g, '[ab]')}`) }
          : { type: kind, value };
      const route: Route = {
        host: { kind: 'any' },
        match: { path, headers: [], query: [] },
        action: { backends: [], mirrors: [], options: {} },
        origin: {
          api: 'gateway',
          source: `HTTPRoute ns/r${i % 17}`,
          createdMs: Math.floor(rnd() * 5),
          ruleIndex: i,
          matchIndex: 0,
        },
      };
      if (rnd() < 0.3) route.match.method = pick(['GET', 'POST']);
      routes.push(route);
    }
    const list = new RouteList(routes);
    const linear = [...routes].sort(comparePrecedence);
    for (let k = 0; k < 2000; k++) {
      const path = randomPath();
      const method = pick(['GET', 'POST']);
      const matches = (r: Route): boolean =>
        pathMatches(r.match.path, path) &&
        (r.match.method === undefined || r.match.method === method);
      expect(list.first(path, matches), `${method} ${path}`).toBe(linear.find(matches));
    }
  });
});
