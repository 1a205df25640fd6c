import { describe, expect, it } from 'vitest';
import { compileIngresses } from '../src/compile-ingress.js';
import { RouteTable, type RequestView } from '../src/route-table.js';
import { ingress, ipath } from './fixtures.js';
import type { HTTPIngressPath } from '../src/api-types.js';

function routeFor(paths: HTTPIngressPath[], path: string, host = 'foo.com'): string | undefined {
  const compiled = compileIngresses([
    ingress('i', { rules: [{ host: 'foo.com', http: { paths } }] }),
  ]);
  expect(compiled.problems).toEqual([]);
  const table = new RouteTable(compiled.routes, compiled.fallback);
  const req: RequestView = { host, path, method: 'GET', headers: {}, query: '' };
  const r = table.match(req);
  return r?.action.backends[0]?.service?.name;
}

// The Ingress path table from the Kubernetes docs (reference/ingress.md), one row per case.
describe('Ingress path matching table', () => {
  const rows: [string, HTTPIngressPath[], string, string | undefined][] = [
    ['/ matches anything', [ipath('/')], '/anything/at/all', 'svc/'],
    ['Exact /foo matches /foo', [ipath('/foo', 'Exact')], '/foo', 'svc/foo'],
    ['Exact /foo not /bar', [ipath('/foo', 'Exact')], '/bar', undefined],
    ['Exact /foo not /foo/', [ipath('/foo', 'Exact')], '/foo/', undefined],
    ['Exact /foo/ not /foo', [ipath('/foo/', 'Exact')], '/foo', undefined],
    ['Prefix /foo matches /foo', [ipath('/foo')], '/foo', 'svc/foo'],
    ['Prefix /foo matches /foo/', [ipath('/foo')], '/foo/', 'svc/foo'],
    ['Prefix /foo/ matches /foo', [ipath('/foo/')], '/foo', 'svc/foo/'],
    ['Prefix /foo/ matches /foo/', [ipath('/foo/')], '/foo/', 'svc/foo/'],
    ['Prefix /aaa/bb not /aaa/bbb', [ipath('/aaa/bb')], '/aaa/bbb', undefined],
    ['Prefix /aaa/bbb/ matches /aaa/bbb', [ipath('/aaa/bbb/')], '/aaa/bbb', 'svc/aaa/bbb/'],
    ['Prefix /aaa/bbb matches /aaa/bbb/', [ipath('/aaa/bbb')], '/aaa/bbb/', 'svc/aaa/bbb'],
    ['Prefix /aaa/bbb matches /aaa/bbb/ccc', [ipath('/aaa/bbb')], '/aaa/bbb/ccc', 'svc/aaa/bbb'],
    ['Prefix /aaa/bbb not /aaa/bbbxyz', [ipath('/aaa/bbb')], '/aaa/bbbxyz', undefined],
    ['/, /aaa: /aaa/ccc -> /aaa', [ipath('/'), ipath('/aaa')], '/aaa/ccc', 'svc/aaa'],
    [
      '/, /aaa, /aaa/bbb: /aaa/bbb -> /aaa/bbb',
      [ipath('/'), ipath('/aaa'), ipath('/aaa/bbb')],
      '/aaa/bbb',
      'svc/aaa/bbb',
    ],
    [
      '/, /aaa, /aaa/bbb: /ccc -> /',
      [ipath('/'), ipath('/aaa'), ipath('/aaa/bbb')],
      '/ccc',
      'svc/',
    ],
    ['/aaa: /ccc -> no rule', [ipath('/aaa')], '/ccc', undefined],
    [
      'Prefix and Exact /foo: Exact wins',
      [ipath('/foo', 'Prefix', 'prefix'), ipath('/foo', 'Exact', 'exact')],
      '/foo',
      'exact',
    ],
    [
      'Exact wins in either order',
      [ipath('/foo', 'Exact', 'exact'), ipath('/foo', 'Prefix', 'prefix')],
      '/foo',
      'exact',
    ],
    [
      'Exact /foo beats Prefix /foo/',
      [ipath('/foo/', 'Prefix', 'prefix'), ipath('/foo', 'Exact', 'exact')],
      '/foo',
      'exact',
    ],
    [
      'longest prefix wins regardless of order',
      [ipath('/aaa/bbb'), ipath('/aaa')],
      '/aaa/bbb/c',
      'svc/aaa/bbb',
    ],
    [
      'ImplementationSpecific is Prefix',
      [ipath('/docs', 'ImplementationSpecific')],
      '/docs/x',
      'svc/docs',
    ],
    [
      'ImplementationSpecific element-wise',
      [ipath('/docs', 'ImplementationSpecific')],
      '/docsx',
      undefined,
    ],
  ];
  it.each(rows)('%s', (_name, paths, request, expected) => {
    expect(routeFor(paths, request)).toBe(expected);
  });
});

describe('Ingress hosts', () => {
  const compiled = compileIngresses([
    ingress('i', {
      rules: [
        { host: '*.foo.com', http: { paths: [ipath('/', 'Prefix', 'wild')] } },
        { host: 'exact.foo.com', http: { paths: [ipath('/', 'Prefix', 'exact')] } },
        { http: { paths: [ipath('/', 'Prefix', 'any')] } },
      ],
    }),
  ]);
  const table = new RouteTable(compiled.routes);
  const svc = (host: string): string | undefined =>
    table.match({ host, path: '/', method: 'GET', headers: {}, query: '' })?.action.backends[0]
      ?.service?.name;

  it.each([
    ['bar.foo.com', 'wild'],
    ['exact.foo.com', 'exact'],
    ['baz.bar.foo.com', 'any'],
    ['foo.com', 'any'],
    ['other.org', 'any'],
  ])('%s -> %s (wildcard covers exactly one label)', (host, expected) => {
    expect(svc(host)).toBe(expected);
  });
});

describe('Ingress defaults, conflicts and errors', () => {
  it('unmatched traffic goes to spec.defaultBackend; without one there is no route', () => {
    const withDefault = compileIngresses([
      ingress('d', {
        defaultBackend: { service: { name: 'fallback', port: { number: 8080 } } },
        rules: [{ host: 'foo.com', http: { paths: [ipath('/api')] } }],
      }),
    ]);
    expect(withDefault.fallback?.backends[0]?.service).toEqual({
      namespace: 'default',
      name: 'fallback',
      port: 8080,
    });
    const none = compileIngresses([
      ingress('n', { rules: [{ host: 'foo.com', http: { paths: [ipath('/api')] } }] }),
    ]);
    expect(none.fallback).toBeUndefined();
  });

  it('same host and path on two Ingresses: the oldest wins; other paths merge', () => {
    const compiled = compileIngresses([
      ingress(
        'young',
        {
          rules: [
            {
              host: 'a.com',
              http: { paths: [ipath('/x', 'Prefix', 'young'), ipath('/y', 'Prefix', 'y')] },
            },
          ],
        },
        { created: '2024-02-01T00:00:00Z' },
      ),
      ingress(
        'old',
        { rules: [{ host: 'a.com', http: { paths: [ipath('/x', 'Prefix', 'old')] } }] },
        { created: '2024-01-01T00:00:00Z' },
      ),
    ]);
    const table = new RouteTable(compiled.routes);
    const svc = (path: string): string | undefined =>
      table.match({ host: 'a.com', path, method: 'GET', headers: {}, query: '' })?.action
        .backends[0]?.service?.name;
    expect(svc('/x')).toBe('old');
    expect(svc('/y')).toBe('y');
    expect(compiled.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('already served by Ingress default/old'),
    ]);
  });

  it('a bad Ingress is rejected whole and does not disturb the others', () => {
    const compiled = compileIngresses([
      ingress('bad', {
        rules: [{ host: 'b.com', http: { paths: [ipath('/ok'), ipath('no-slash')] } }],
      }),
      ingress('good', { rules: [{ host: 'g.com', http: { paths: [ipath('/')] } }] }),
    ]);
    expect(compiled.routes.map((r) => r.origin.source)).toEqual(['Ingress default/good']);
    expect(compiled.problems).toEqual([
      {
        ingress: 'default/bad',
        rejected: true,
        message: expect.stringContaining('path must start with "/"'),
      },
    ]);
  });

  it('warns about spec.tls hosts that no rule serves', () => {
    const compiled = compileIngresses([
      ingress('t', {
        tls: [{ hosts: ['a.com', 'typo.com'] }],
        rules: [{ host: 'a.com', http: { paths: [ipath('/')] } }],
      }),
    ]);
    expect(compiled.routes).toHaveLength(1);
    expect(compiled.problems).toEqual([
      { ingress: 'default/t', rejected: false, message: 'tls host typo.com matches no rule host' },
    ]);
  });

  it('rejects invalid hostnames and resource backends', () => {
    const compiled = compileIngresses([
      ingress('h', { rules: [{ host: 'Bad_Host!', http: { paths: [ipath('/')] } }] }),
      ingress('r', {
        rules: [
          {
            host: 'r.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { resource: { kind: 'Bucket', name: 'b' } },
                },
              ],
            },
          },
        ],
      }),
    ]);
    expect(compiled.routes).toEqual([]);
    expect(compiled.problems.map((p) => p.rejected)).toEqual([true, true]);
  });
});
