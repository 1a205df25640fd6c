import { Agent, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { staticEndpoints } from '../src/endpoints.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute } from './fixtures.js';
import { close, listen, startEcho, type Backend } from './harness.js';

let backends: Backend[], proxy: Server, port: number, router: Router;
const agent = new Agent({ keepAlive: true, maxSockets: 10 });

function tableTo(weights: Record<string, number>): RouteTable {
  const refs = Object.entries(weights).map(([name, weight]) => ({ name, port: 80, weight }));
  return new RouteTable(
    compileHttpRoutes([httpRoute('w', { hostnames: ['w.test'], rules: [{ backendRefs: refs }] })])
      .routes,
  );
}

/** GET through the pooled client agent; resolves with the answering backend or the failure. */
function hit(): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent, headers: { host: 'w.test' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve(
            res.statusCode === 200 ? String(res.headers['x-backend']) : `status ${res.statusCode}`,
          ),
        );
        res.on('error', (e) => resolve(`error ${e.message}`));
      },
    );
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

async function hitMany(n: number, concurrency: number): Promise<string[]> {
  const out: string[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) out.push(await hit());
    }),
  );
  return out;
}

beforeAll(async () => {
  backends = await Promise.all(['a', 'b', 'c'].map((n) => startEcho(n)));
  const map = Object.fromEntries(backends.map((b) => [`default/${b.name}:80`, [b.endpoint]]));
  router = new Router(tableTo({ a: 1 }));
  // A seeded generator keeps the ±5% check deterministic (Math.random would fail ~2% of runs).
  let seed = 42;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  proxy = createIngressServer(router, { endpoints: staticEndpoints(map), random });
  port = await listen(proxy);
});

afterAll(async () => {
  agent.destroy();
  await close(proxy, ...backends.map((b) => b.server));
});

describe('weighted backends', () => {
  it(
    '70/30/0 over 500 requests lands within ±5%, and weight 0 is never chosen',
    { timeout: 60_000 },
    async () => {
      router.swap(tableTo({ a: 70, b: 30, c: 0 }));
      const results = await hitMany(500, 10);
      const share = (name: string): number =>
        results.filter((r) => r === name).length / results.length;
      expect(results.filter((r) => !['a', 'b', 'c'].includes(r))).toEqual([]);
      expect(Math.abs(share('a') - 0.7)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(share('b') - 0.3)).toBeLessThanOrEqual(0.05);
      expect(share('c')).toBe(0);
    },
  );
});

describe('route swap under load', () => {
  it(
    'swapping tables every 10 ms while 10 clients hammer the proxy fails no request',
    { timeout: 60_000 },
    async () => {
      const tables = [tableTo({ a: 1 }), tableTo({ b: 1 }), tableTo({ a: 1, c: 1 })];
      let swaps = 0;
      const swapper = setInterval(() => {
        router.swap(tables[swaps++ % tables.length] as RouteTable);
      }, 10);
      let results: string[];
      try {
        results = await hitMany(800, 10);
      } finally {
        clearInterval(swapper);
      }
      expect(swaps).toBeGreaterThan(5);
      expect(results.filter((r) => !['a', 'b', 'c'].includes(r))).toEqual([]);
      expect(new Set(results)).toEqual(new Set(['a', 'b', 'c']));
    },
  );

  it('after a swap the next request uses the new table', async () => {
    router.swap(tableTo({ c: 1 }));
    expect(await hit()).toBe('c');
    router.swap(tableTo({ b: 1 }));
    expect(await hit()).toBe('b');
  });
});
