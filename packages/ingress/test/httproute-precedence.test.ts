import { describe, expect, it } from 'vitest';
import type { HTTPRouteRule } from '../src/api-types.js';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { RouteTable, type RequestView } from '../src/route-table.js';
import { httpRoute } from './fixtures.js';

const to = (name: string): HTTPRouteRule['backendRefs'] => [{ name, port: 80 }];

function pick(table: RouteTable, req: Partial<RequestView>): string | undefined {
  const full: RequestView = {
    host: 'example.com',
    path: '/',
    method: 'GET',
    headers: {},
    query: '',
    ...req,
  };
  return table.match(full)?.action.backends[0]?.service?.name;
}

describe('HTTPRoute match precedence', () => {
  const routes = [
    httpRoute(
      'a',
      {
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: to('root') },
          { matches: [{ path: { type: 'PathPrefix', value: '/v1' } }], backendRefs: to('v1') },
          { matches: [{ path: { type: 'Exact', value: '/v1/exact' } }], backendRefs: to('exact') },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/v1' }, method: 'POST' }],
            backendRefs: to('v1-post'),
          },
          {
            matches: [
              {
                path: { type: 'PathPrefix', value: '/v1' },
                headers: [{ name: 'X-A', value: '1' }],
              },
            ],
            backendRefs: to('v1-h1'),
          },
          {
            matches: [
              {
                path: { type: 'PathPrefix', value: '/v1' },
                headers: [
                  { name: 'x-a', value: '1' },
                  { name: 'x-b', value: '2' },
                ],
              },
            ],
            backendRefs: to('v1-h2'),
          },
          {
            matches: [
              {
                path: { type: 'PathPrefix', value: '/v1' },
                queryParams: [{ name: 'q', value: 'yes' }],
              },
            ],
            backendRefs: to('v1-q'),
          },
          {
            matches: [{ path: { type: 'RegularExpression', value: '/v1/[0-9]+' } }],
            backendRefs: to('regex'),
          },
        ],
      },
      { created: '2024-01-02T00:00:00Z' },
    ),
    // Same match as rule 1 of `a` but older: the older route wins the tie.
    httpRoute(
      'z-older',
      {
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/tie' } }], backendRefs: to('older') },
        ],
      },
      { created: '2024-01-01T00:00:00Z' },
    ),
    httpRoute(
      'b-newer',
      {
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/tie' } }], backendRefs: to('newer') },
        ],
      },
      { created: '2024-01-03T00:00:00Z' },
    ),
    // Same age: namespace/name order decides.
    httpRoute('m2', {
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/name' } }], backendRefs: to('m2') },
      ],
    }),
    httpRoute('m1', {
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/name' } }], backendRefs: to('m1') },
      ],
    }),
    // Same route: rule order decides.
    httpRoute('r', {
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/rule' } }], backendRefs: to('first') },
        { matches: [{ path: { type: 'PathPrefix', value: '/rule' } }], backendRefs: to('second') },
      ],
    }),
  ];
  const compiled = compileHttpRoutes(routes);
  const table = new RouteTable(compiled.routes);

  it.each<[string, Partial<RequestView>, string]>([
    [
      'exact beats every prefix',
      { path: '/v1/exact', method: 'POST', headers: { 'x-a': '1', 'x-b': '2' } },
      'exact',
    ],
    ['regex beats prefix', { path: '/v1/42' }, 'regex'],
    ['regex must match the whole path', { path: '/v1/42/x' }, 'v1'],
    ['longest prefix beats shorter', { path: '/v1/x' }, 'v1'],
    ['shortest prefix catches the rest', { path: '/other' }, 'root'],
    [
      'method beats headers',
      { path: '/v1/x', method: 'POST', headers: { 'x-a': '1', 'x-b': '2' } },
      'v1-post',
    ],
    ['more headers beat fewer', { path: '/v1/x', headers: { 'x-a': '1', 'x-b': '2' } }, 'v1-h2'],
    ['header names are case-insensitive', { path: '/v1/x', headers: { 'x-a': '1' } }, 'v1-h1'],
    ['header value is exact', { path: '/v1/x', headers: { 'x-a': '10' } }, 'v1'],
    [
      'headers beat query params',
      { path: '/v1/x', headers: { 'x-a': '1' }, query: '?q=yes' },
      'v1-h1',
    ],
    ['query params match', { path: '/v1/x', query: '?q=yes' }, 'v1-q'],
    ['query value is exact', { path: '/v1/x', query: 'q=no' }, 'v1'],
    ['tie: oldest route', { path: '/tie' }, 'older'],
    ['tie: namespace/name', { path: '/name' }, 'm1'],
    ['tie: rule order', { path: '/rule' }, 'first'],
  ])('%s', (_name, req, expected) => {
    expect(pick(table, req)).toBe(expected);
  });

  it('a route without matches is PathPrefix /', () => {
    const t = new RouteTable(
      compileHttpRoutes([httpRoute('x', { rules: [{ backendRefs: to('all') }] })]).routes,
    );
    expect(pick(t, { path: '/deep/path' })).toBe('all');
  });

  it('Exact /foo does not match /foo/ and PathPrefix is element-wise', () => {
    const t = new RouteTable(
      compileHttpRoutes([
        httpRoute('x', {
          rules: [
            { matches: [{ path: { type: 'Exact', value: '/foo' } }], backendRefs: to('exact') },
            { matches: [{ path: { type: 'PathPrefix', value: '/abc/' } }], backendRefs: to('abc') },
          ],
        }),
      ]).routes,
    );
    expect(pick(t, { path: '/foo' })).toBe('exact');
    expect(pick(t, { path: '/foo/' })).toBeUndefined();
    expect(pick(t, { path: '/abc' })).toBe('abc');
    expect(pick(t, { path: '/abc/def' })).toBe('abc');
    expect(pick(t, { path: '/abcd' })).toBeUndefined();
  });
});

describe('HTTPRoute hostnames and listener intersection', () => {
  const routes = [
    httpRoute('wild', { hostnames: ['*.example.com'], rules: [{ backendRefs: to('wild') }] }),
    httpRoute('exact', { hostnames: ['foo.example.com'], rules: [{ backendRefs: to('exact') }] }),
    httpRoute('deeper', {
      hostnames: ['*.bar.example.com'],
      rules: [{ backendRefs: to('deeper') }],
    }),
    httpRoute('other', { hostnames: ['other.org'], rules: [{ backendRefs: to('other') }] }),
  ];

  it('Gateway wildcards match any number of labels; on equal matches the most specific hostname wins', () => {
    const t = new RouteTable(compileHttpRoutes(routes).routes);
    expect(pick(t, { host: 'foo.example.com' })).toBe('exact');
    expect(pick(t, { host: 'a.example.com' })).toBe('wild');
    expect(pick(t, { host: 'a.b.c.example.com' })).toBe('wild');
    expect(pick(t, { host: 'x.bar.example.com' })).toBe('deeper');
    expect(pick(t, { host: 'example.com' })).toBeUndefined();
    expect(pick(t, { host: 'other.org' })).toBe('other');
  });

  it('a listener hostname narrows routes and refuses routes with no hostname in common', () => {
    const compiled = compileHttpRoutes(routes, { hostname: '*.bar.example.com' });
    const t = new RouteTable(compiled.routes);
    // `*.example.com` intersected with `*.bar.example.com` is the narrower wildcard.
    expect(pick(t, { host: 'x.bar.example.com' })).toBe('deeper');
    expect(pick(t, { host: 'foo.example.com' })).toBeUndefined();
    const byName = Object.fromEntries(compiled.statuses.map((s) => [s.route, s]));
    expect(byName['default/wild']?.accepted).toBe(true);
    expect(byName['default/exact']).toMatchObject({
      accepted: false,
      reason: 'NoMatchingListenerHostname',
    });
    expect(byName['default/other']).toMatchObject({
      accepted: false,
      reason: 'NoMatchingListenerHostname',
    });
  });

  it('an exact listener hostname applies to routes without hostnames', () => {
    const compiled = compileHttpRoutes(
      [httpRoute('none', { rules: [{ backendRefs: to('none') }] })],
      { hostname: 'only.example.com' },
    );
    const t = new RouteTable(compiled.routes);
    expect(pick(t, { host: 'only.example.com' })).toBe('none');
    expect(pick(t, { host: 'else.example.com' })).toBeUndefined();
  });
});

describe('HTTPRoute rules merge across every route whose hostname covers the request', () => {
  // The Gateway conformance suite's HTTPRouteMatchingAcrossRoutes manifests and expectations.
  const part1 = httpRoute('matching-part1', {
    hostnames: ['example.com', 'example.net'],
    rules: [
      {
        matches: [
          { path: { type: 'PathPrefix', value: '/' } },
          { headers: [{ name: 'version', value: 'one' }] },
        ],
        backendRefs: to('v1'),
      },
    ],
  });
  const part2 = httpRoute('matching-part2', {
    hostnames: ['*.com'],
    rules: [
      {
        matches: [
          { path: { type: 'PathPrefix', value: '/v2' } },
          { headers: [{ name: 'version', value: 'two' }] },
        ],
        backendRefs: to('v2'),
      },
    ],
  });
  const t = new RouteTable(compileHttpRoutes([part1, part2]).routes);

  it.each<[string, string, Record<string, string>, string]>([
    ['example.com', '/', {}, 'v1'],
    ['example.com', '/example', {}, 'v1'],
    ['example.net', '/example', {}, 'v1'],
    ['example.com', '/example', { version: 'one' }, 'v1'],
    ['example.com', '/v2', {}, 'v2'],
    ['example.net', '/v2', {}, 'v1'],
    ['example.com', '/v2/example', {}, 'v2'],
    ['example.com', '/', { version: 'two' }, 'v2'],
  ])('%s%s %j -> %s', (host, path, headers, expected) => {
    expect(pick(t, { host, path, headers })).toBe(expected);
  });

  it('a more specific hostname wins only when the matches tie', () => {
    const table = new RouteTable(
      compileHttpRoutes([
        httpRoute('specific', {
          hostnames: ['very.specific.com'],
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/s1' } }], backendRefs: to('v1') },
          ],
        }),
        httpRoute('wild', {
          hostnames: ['*.specific.com'],
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/s3' } }], backendRefs: to('v3') },
            { backendRefs: to('wild-root') },
          ],
        }),
        httpRoute('root', {
          hostnames: ['very.specific.com'],
          rules: [{ backendRefs: to('exact-root') }],
        }),
      ]).routes,
    );
    expect(pick(table, { host: 'very.specific.com', path: '/s3' })).toBe('v3');
    expect(pick(table, { host: 'very.specific.com', path: '/s1' })).toBe('v1');
    expect(pick(table, { host: 'very.specific.com', path: '/other' })).toBe('exact-root');
    expect(pick(table, { host: 'other.specific.com', path: '/other' })).toBe('wild-root');
  });
});

describe('HTTPRoute references and invalid rules', () => {
  it('cross-namespace refs need a ReferenceGrant; non-Service kinds are invalid (500 share)', () => {
    const hr = httpRoute('x', {
      rules: [
        {
          backendRefs: [
            { name: 'ok', port: 80 },
            { name: 'far', namespace: 'other', port: 80 },
            { name: 'bucket', kind: 'Bucket', group: 'example.com' },
          ],
        },
      ],
    });
    const denied = compileHttpRoutes([hr]);
    expect(denied.routes[0]?.action.backends.map((b) => b.service?.name)).toEqual([
      'ok',
      undefined,
      undefined,
    ]);
    expect(denied.statuses[0]).toMatchObject({ accepted: true, resolvedRefs: false });
    const granted = compileHttpRoutes(
      [hr],
      {},
      { referencePermitted: (from, to) => from === 'default' && to.namespace === 'other' },
    );
    expect(granted.routes[0]?.action.backends[1]?.service).toEqual({
      namespace: 'other',
      name: 'far',
      port: 80,
    });
    const missing = compileHttpRoutes(
      [hr],
      {},
      { serviceExists: (s) => s.name !== 'ok', referencePermitted: () => true },
    );
    expect(missing.statuses[0]?.refsReason).toBe('InvalidKind');
    expect(missing.statuses[0]?.messages).toContain('Service default/ok not found');
  });

  it.each<[string, NonNullable<HTTPRouteRule['filters']>]>([
    [
      'CRLF in a header value',
      [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x', value: 'a\r\nb: c' }] },
        },
      ],
    ],
    [
      'invalid header name',
      [
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: { add: [{ name: 'bad name', value: 'v' }] },
        },
      ],
    ],
    [
      'space in a rewrite path',
      [
        {
          type: 'URLRewrite',
          urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/a b' } },
        },
      ],
    ],
    [
      'wildcard redirect hostname',
      [{ type: 'RequestRedirect', requestRedirect: { hostname: '*.example.com' } }],
    ],
    ['redirect status 200', [{ type: 'RequestRedirect', requestRedirect: { statusCode: 200 } }]],
  ])('refuses a rule with %s', (_name, filters) => {
    const compiled = compileHttpRoutes([
      httpRoute('x', { rules: [{ filters, backendRefs: to('a') }] }),
    ]);
    expect(compiled.routes).toEqual([]);
    expect(compiled.statuses[0]).toMatchObject({ accepted: false, reason: 'UnsupportedValue' });
  });

  it('a rule with an unsupported filter or a bad regex is left out and reported', () => {
    const compiled = compileHttpRoutes([
      httpRoute('x', {
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/good' } }], backendRefs: to('good') },
          { filters: [{ type: 'ExtensionRef' }], backendRefs: to('ext') },
          {
            matches: [{ path: { type: 'RegularExpression', value: '/(' } }],
            backendRefs: to('re'),
          },
        ],
      }),
    ]);
    expect(compiled.routes.map((r) => r.action.backends[0]?.service?.name)).toEqual(['good']);
    expect(compiled.statuses[0]).toMatchObject({ accepted: true, partiallyInvalid: true });
    expect(compiled.statuses[0]?.messages).toHaveLength(2);
  });
});
