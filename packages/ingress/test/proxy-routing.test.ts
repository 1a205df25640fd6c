import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { compileIngresses } from '../src/compile-ingress.js';
import { staticEndpoints } from '../src/endpoints.js';
import type { ResponseRecord } from '../src/proxy-options.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute, ingress, ipath } from './fixtures.js';
import { close, fetchVia, listen, startEcho, type Backend, type Echo } from './harness.js';

let a: Backend, b: Backend, mirror: Backend, proxy: Server, port: number;
const records: ResponseRecord[] = [];

const echo = (body: string): Echo => JSON.parse(body) as Echo;

beforeAll(async () => {
  [a, b, mirror] = await Promise.all([startEcho('a'), startEcho('b'), startEcho('mirror')]);
  const ingresses = compileIngresses([
    ingress('web', {
      defaultBackend: { service: { name: 'b', port: { number: 80 } } },
      rules: [
        {
          host: 'ing.test',
          http: { paths: [ipath('/public', 'Prefix', 'a'), ipath('/admin', 'Prefix', 'b')] },
        },
        { host: '*.wild.test', http: { paths: [ipath('/', 'Prefix', 'a')] } },
      ],
    }),
    ingress(
      'rw',
      {
        rules: [
          {
            host: 'rw.test',
            http: { paths: [ipath('/something(/|$)(.*)', 'ImplementationSpecific', 'a')] },
          },
        ],
      },
      {
        annotations: {
          'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
          'nginx.ingress.kubernetes.io/use-regex': 'true',
        },
      },
    ),
    ingress(
      'root',
      { rules: [{ host: 'root.test', http: { paths: [ipath('/', 'Prefix', 'a')] } }] },
      { annotations: { 'switchyard.dev/app-root': '/app1' } },
    ),
    ingress('secure', {
      tls: [{ hosts: ['secure.test'] }],
      rules: [{ host: 'secure.test', http: { paths: [ipath('/', 'Prefix', 'a')] } }],
    }),
    ingress(
      'cors',
      { rules: [{ host: 'cors.test', http: { paths: [ipath('/', 'Prefix', 'a')] } }] },
      {
        annotations: {
          'switchyard.dev/enable-cors': 'true',
          'switchyard.dev/cors-allow-origin': 'https://app.test',
          'switchyard.dev/cors-allow-credentials': 'false',
        },
      },
    ),
    ingress(
      'main',
      { rules: [{ host: 'canary.test', http: { paths: [ipath('/', 'Prefix', 'a')] } }] },
      { created: '2024-01-01T00:00:00Z' },
    ),
    ingress(
      'main-canary',
      { rules: [{ host: 'canary.test', http: { paths: [ipath('/', 'Prefix', 'b')] } }] },
      {
        created: '2024-01-02T00:00:00Z',
        annotations: {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
        },
      },
    ),
  ]);
  expect(ingresses.problems).toEqual([]);
  const gw = compileHttpRoutes([
    httpRoute('filters', {
      hostnames: ['gw.test'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/headers' } }],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: {
                set: [{ name: 'X-Set', value: 'set' }],
                add: [{ name: 'X-Add', value: 'added' }],
                remove: ['X-Drop'],
              },
            },
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: {
                add: [{ name: 'X-Resp', value: 'r' }],
                remove: ['x-remove-me'],
              },
            },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
          filters: [
            {
              type: 'RequestRedirect',
              requestRedirect: {
                hostname: 'new.test',
                statusCode: 301,
                path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
              },
            },
          ],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/tls' } }],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/prefix' } }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: {
                hostname: 'rewritten.test',
                path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replaced' },
              },
            },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'Exact', value: '/full' } }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/whole' } },
            },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/mirrored' } }],
          filters: [
            { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 } } },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/sticky' } }],
          backendRefs: [{ name: 'ab', port: 80 }],
        },
      ],
    }),
  ]);
  const limited = compileIngresses([
    ingress(
      'limited',
      { rules: [{ host: 'limited.test', http: { paths: [ipath('/', 'Prefix', 'a')] } }] },
      {
        annotations: {
          'nginx.ingress.kubernetes.io/limit-rps': '1',
          'nginx.ingress.kubernetes.io/limit-burst-multiplier': '2',
        },
      },
    ),
  ]);
  const sticky = compileIngresses([
    ingress(
      'sticky',
      { rules: [{ host: 'sticky.test', http: { paths: [ipath('/', 'Prefix', 'ab')] } }] },
      {
        annotations: {
          'switchyard.dev/affinity': 'cookie',
          'switchyard.dev/session-cookie-name': 'route',
        },
      },
    ),
  ]);
  const table = new RouteTable(
    [...ingresses.routes, ...gw.routes, ...sticky.routes, ...limited.routes],
    ingresses.fallback,
  );
  const endpoints = staticEndpoints({
    'default/a:80': [a.endpoint],
    'default/b:80': [b.endpoint],
    'default/mirror:80': [mirror.endpoint],
    'default/ab:80': [a.endpoint, b.endpoint],
  });
  proxy = createIngressServer(new Router(table), {
    endpoints,
    onResponse: (r) => records.push(r),
  });
  port = await listen(proxy);
});

afterAll(async () => {
  await close(proxy, a.server, b.server, mirror.server);
});

describe('routing through the proxy', () => {
  it('routes by host and path, sets X-Forwarded-* and keeps the Host', async () => {
    const r = await fetchVia(port, '/public/x?q=1', {
      host: 'ing.test:8080',
      headers: { 'x-forwarded-for': '6.6.6.6', connection: 'x-hop', 'x-hop': 'secret' },
    });
    expect(r.status).toBe(200);
    const e = echo(r.body);
    expect(e).toMatchObject({ backend: 'a', path: '/public/x?q=1' });
    expect(e.headers).toMatchObject({
      host: 'ing.test:8080',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'ing.test:8080',
      'x-forwarded-port': String(port),
    });
    expect(e.headers['x-hop']).toBeUndefined();
  });

  it('normalises the path before routing: /public/../admin is /admin, never /public', async () => {
    for (const p of [
      '/public/../admin',
      '/public/%2e%2e/admin',
      '//admin',
      '/public/./../admin/',
    ]) {
      const r = await fetchVia(port, p, { host: 'ing.test' });
      expect(echo(r.body).backend, p).toBe('b');
      expect(echo(r.body).path).toMatch(/^\/admin\/?$/);
    }
    expect((await fetchVia(port, '/public/..%2fadmin', { host: 'ing.test' })).status).toBe(400);
  });

  it('Ingress wildcard host matches one label; unmatched traffic goes to the defaultBackend', async () => {
    expect(echo((await fetchVia(port, '/', { host: 'x.wild.test' })).body).backend).toBe('a');
    expect(echo((await fetchVia(port, '/', { host: 'y.x.wild.test' })).body).backend).toBe('b');
    expect(echo((await fetchVia(port, '/nothing', { host: 'ing.test' })).body).backend).toBe('b');
  });

  it('rewrite-target with capture groups, app-root and ssl-redirect', async () => {
    expect(
      echo((await fetchVia(port, '/something/new/path?x=1', { host: 'rw.test' })).body).path,
    ).toBe('/new/path?x=1');
    expect(echo((await fetchVia(port, '/SOMETHING', { host: 'rw.test' })).body).path).toBe('/');
    const root = await fetchVia(port, '/', { host: 'root.test' });
    expect([root.status, root.headers.location]).toEqual([302, '/app1']);
    const tls = await fetchVia(port, '/a/b?c=d', { host: 'secure.test' });
    expect([tls.status, tls.headers.location]).toEqual([308, 'https://secure.test/a/b?c=d']);
  });

  it('CORS: preflight answered locally, actual responses carry the allow headers', async () => {
    const pre = await fetchVia(port, '/x', {
      host: 'cors.test',
      method: 'OPTIONS',
      headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.test',
      'access-control-max-age': '1728000',
    });
    expect(pre.headers['access-control-allow-methods']).toContain('PUT');
    const actual = await fetchVia(port, '/x', {
      host: 'cors.test',
      headers: { origin: 'https://app.test' },
    });
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.test');
    const other = await fetchVia(port, '/x', {
      host: 'cors.test',
      headers: { origin: 'https://evil.test' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('canary by header: "always" goes to the canary, "never" and absent to the primary', async () => {
    const via = async (h?: string): Promise<string> =>
      echo(
        (await fetchVia(port, '/', { host: 'canary.test', headers: h ? { 'x-canary': h } : {} }))
          .body,
      ).backend;
    expect(await via('always')).toBe('b');
    expect(await via('never')).toBe('a');
    expect(await via()).toBe('a');
  });

  it('limit-rps: a client past its burst gets 503 while other routes are unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await fetchVia(port, '/', { host: 'limited.test' })).status);
    // Burst 2 (1 rps x 2); four requests well inside a second: two pass.
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.slice(2)).toEqual([503, 503]);
    expect((await fetchVia(port, '/public', { host: 'ing.test' })).status).toBe(200);
  });

  it('affinity cookie pins a client to one endpoint', async () => {
    const first = await fetchVia(port, '/', { host: 'sticky.test' });
    const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0] as string;
    expect(cookie).toMatch(/^route=/);
    const backend = echo(first.body).backend;
    for (let i = 0; i < 6; i++) {
      const r = await fetchVia(port, '/', { host: 'sticky.test', headers: { cookie } });
      expect(echo(r.body).backend).toBe(backend);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    // Without the cookie round-robin spreads requests over both endpoints.
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++)
      seen.add(echo((await fetchVia(port, '/', { host: 'sticky.test' })).body).backend);
    expect(seen).toEqual(new Set(['a', 'b']));
  });
});

describe('Gateway API filters through the proxy', () => {
  it('RequestHeaderModifier and ResponseHeaderModifier', async () => {
    const r = await fetchVia(port, '/headers', {
      host: 'gw.test',
      headers: { 'x-set': 'old', 'x-add': 'orig', 'x-drop': 'bye' },
    });
    const e = echo(r.body);
    expect(e.headers).toMatchObject({ 'x-set': 'set', 'x-add': 'orig,added' });
    expect(e.headers['x-drop']).toBeUndefined();
    expect(r.headers['x-resp']).toBe('r');
    expect(r.headers['x-remove-me']).toBeUndefined();
    expect(r.headers['x-backend']).toBe('a');
  });

  it('RequestRedirect: hostname, status, prefix replacement and scheme with its port', async () => {
    const r = await fetchVia(port, '/old/page?x=1', { host: 'gw.test' });
    expect([r.status, r.headers.location]).toEqual([301, `http://new.test:${port}/new/page?x=1`]);
    const s = await fetchVia(port, '/tls/x', { host: 'gw.test' });
    expect([s.status, s.headers.location]).toEqual([302, 'https://gw.test/tls/x']);
  });

  it('URLRewrite: ReplacePrefixMatch with hostname, and ReplaceFullPath', async () => {
    const p = echo((await fetchVia(port, '/prefix/rest?y=2', { host: 'gw.test' })).body);
    expect([p.path, p.headers.host]).toEqual(['/replaced/rest?y=2', 'rewritten.test']);
    expect(echo((await fetchVia(port, '/full', { host: 'gw.test' })).body).path).toBe('/whole');
  });

  it('RequestMirror sends a copy (with body) and the client gets the primary answer', async () => {
    const before = mirror.requests.length;
    const r = await fetchVia(port, '/mirrored', {
      host: 'gw.test',
      method: 'POST',
      body: 'payload',
      headers: { 'content-type': 'text/plain' },
    });
    expect(echo(r.body)).toMatchObject({ backend: 'a', body: 'payload' });
    await expect.poll(() => mirror.requests.length).toBe(before + 1);
    expect(mirror.requests.at(-1)).toMatchObject({
      path: '/mirrored',
      method: 'POST',
      body: 'payload',
    });
  });

  it('reports each response (route, upstream, status, duration) for access logs and metrics', async () => {
    await fetchVia(port, '/headers?x=1', { host: 'gw.test' });
    await fetchVia(port, '/old/x', { host: 'gw.test' });
    await expect
      .poll(() => records.filter((r) => r.host === 'gw.test').length)
      .toBeGreaterThanOrEqual(2);
    const proxied = records.find((r) => r.url === '/headers?x=1');
    expect(proxied).toMatchObject({
      method: 'GET',
      status: 200,
      route: 'HTTPRoute default/filters',
      upstream: `127.0.0.1:${a.endpoint.port}`,
      completed: true,
    });
    expect(proxied?.durationMs).toBeGreaterThan(0);
    expect(records.find((r) => r.url === '/old/x')).toMatchObject({
      status: 301,
      route: 'HTTPRoute default/filters',
      completed: true,
    });
    expect(records.find((r) => r.url === '/old/x')?.upstream).toBeUndefined();
  });

  it('no matching rule: the table fallback (here an Ingress defaultBackend) answers', async () => {
    expect(echo((await fetchVia(port, '/x', { host: 'gw.test' })).body).backend).toBe('b');
  });
});
