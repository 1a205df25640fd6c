import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticEndpoints, type Ingress, type ResponseRecord } from '@switchyard/ingress';
import { type EchoBackend, startEchoBackend } from '../src/echo-backend.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { HOST, api, storefront } from '../src/site.js';

let web: EchoBackend;
let apiBackend: EchoBackend;
let gateway: Gateway;
const log: ResponseRecord[] = [];

beforeAll(async () => {
  web = await startEchoBackend('web');
  apiBackend = await startEchoBackend('api');
  gateway = await startGateway({
    ingresses: [storefront, api],
    endpoints: staticEndpoints({
      'shop/web:80': [{ address: '127.0.0.1', port: web.port }],
      'shop/api:8080': [{ address: '127.0.0.1', port: apiBackend.port }],
      // shop/orders:80 has no ready endpoint.
    }),
    port: 0,
    onResponse: (r) => log.push(r),
  });
});
afterAll(async () => {
  await gateway.close();
  await Promise.all([web.close(), apiBackend.close()]);
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One real HTTP request to the gateway (fetch cannot set Host, so node:http). */
function send(
  path: string,
  options: { host?: string; method?: string; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${gateway.url}${path}`,
      { method: options.method ?? 'GET', headers: { host: options.host ?? HOST }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const echoed = (r: Reply): Record<string, unknown> => JSON.parse(r.body) as Record<string, unknown>;

describe('the ingress router in a plain node:http server', () => {
  it('compiles both Ingresses without problems', () => {
    expect(gateway.problems).toEqual([]);
  });

  it('rewrites /api/<rest> to the api backend as /<rest>, query kept, X-Forwarded-* set', async () => {
    const r = await send('/api/items?page=2');
    expect(r.status).toBe(200);
    expect(echoed(r)).toMatchObject({
      backend: 'api',
      url: '/items?page=2',
      forwardedFor: '127.0.0.1',
      forwardedHost: HOST,
    });
  });

  it('answers / with the app-root redirect and sends other paths to web', async () => {
    const root = await send('/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toMatch(/\/home$/);
    const home = await send('/home');
    expect(echoed(home)).toMatchObject({ backend: 'web', url: '/home' });
  });

  it('enforces the 1k body limit of the api Ingress only', async () => {
    const big = 'x'.repeat(2048);
    expect((await send('/api/upload', { method: 'POST', body: big })).status).toBe(413);
    const small = await send('/api/upload', { method: 'POST', body: 'x'.repeat(512) });
    expect(echoed(small)).toMatchObject({ backend: 'api', bodyBytes: 512 });
    // The storefront has no limit annotation: the default (1 MiB) applies.
    expect(echoed(await send('/upload', { method: 'POST', body: big }))).toMatchObject({
      backend: 'web',
      bodyBytes: 2048,
    });
  });

  it('answers 404 for a host it has no rules for', async () => {
    expect((await send('/', { host: 'other.example' })).status).toBe(404);
  });

  it('reports each request to onResponse with its route and upstream', async () => {
    log.length = 0;
    await send('/api/ping');
    expect(log).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/api/ping',
        status: 200,
        route: 'Ingress shop/api',
        upstream: `127.0.0.1:${apiBackend.port}`,
        completed: true,
      }),
    ]);
  });

  it('swaps in a new table on update: added routes serve, snippet Ingresses are rejected', async () => {
    const orders: Ingress = {
      metadata: { namespace: 'shop', name: 'orders' },
      spec: {
        rules: [
          {
            host: HOST,
            http: {
              paths: [
                {
                  path: '/orders',
                  pathType: 'Exact',
                  backend: { service: { name: 'orders', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    };
    const sneaky: Ingress = {
      metadata: {
        namespace: 'shop',
        name: 'sneaky',
        annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200;' },
      },
      spec: {
        rules: [
          {
            host: HOST,
            http: {
              paths: [
                {
                  path: '/admin',
                  pathType: 'Prefix',
                  backend: { service: { name: 'api', port: { number: 8080 } } },
                },
              ],
            },
          },
        ],
      },
    };
    const problems = gateway.update([storefront, orders, sneaky]);
    expect(problems).toEqual([
      expect.objectContaining({
        ingress: 'shop/sneaky',
        rejected: true,
        message: expect.stringMatching(/snippet/),
      }),
    ]);
    // The new route exists, but its Service has no ready endpoint.
    expect((await send('/orders')).status).toBe(503);
    // The api Ingress is gone: /api/... now falls to the storefront's "/" prefix.
    expect(echoed(await send('/api/items'))).toMatchObject({ backend: 'web', url: '/api/items' });
    // The rejected Ingress's /admin was never programmed.
    expect(echoed(await send('/admin'))).toMatchObject({ backend: 'web' });
    gateway.update([storefront, api]);
    expect(echoed(await send('/api/items'))).toMatchObject({ backend: 'api', url: '/items' });
  });
});
