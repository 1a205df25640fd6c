import { describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { normalizeHost } from '../src/host.js';
import { RouteTable } from '../src/route-table.js';
import { httpRoute } from './fixtures.js';

// The scenario of the Gateway conformance test HTTPRouteHostnameIntersection: one Gateway port
// with three listeners, five routes; the app compiles per listener and serves the union.
const listeners = ['very.specific.com', '*.wildcard.io', '*.anotherwildcard.io'];
const route = (
  name: string,
  hostnames: string[],
  prefix: string,
  backend: string,
): ReturnType<typeof httpRoute> =>
  httpRoute(name, {
    hostnames,
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: prefix } }],
        backendRefs: [{ name: backend, port: 8080 }],
      },
    ],
  });
const routes = [
  route(
    'specific-host-matches-listener-specific-host',
    ['non.matching.com', '*.nonmatchingwildcard.io', 'very.specific.com'],
    '/s1',
    'v1',
  ),
  route(
    'specific-host-matches-listener-wildcard-host',
    [
      'non.matching.com',
      'wildcard.io',
      'foo.wildcard.io',
      'bar.wildcard.io',
      'foo.bar.wildcard.io',
    ],
    '/s2',
    'v2',
  ),
  route(
    'wildcard-host-matches-listener-specific-host',
    ['non.matching.com', '*.specific.com'],
    '/s3',
    'v3',
  ),
  route('wildcard-host-matches-listener-wildcard-host', ['*.anotherwildcard.io'], '/s4', 'v1'),
  route('no-intersecting-hosts', ['specific.but.wrong.com', 'wildcard.io'], '/s5', 'v2'),
];
const perListener = listeners.map((hostname) => compileHttpRoutes(routes, { hostname }));
const table = new RouteTable(perListener.flatMap((c) => c.routes));

function backend(hostHeader: string, path: string): string {
  const r = table.match({
    host: normalizeHost(hostHeader),
    path,
    method: 'GET',
    headers: {},
    query: '',
  });
  return r?.action.backends[0]?.service?.name ?? '404';
}

describe('HTTPRouteHostnameIntersection', () => {
  it.each([
    ['very.specific.com', '/s1', 'v1'],
    ['very.specific.com:1234', '/s1', 'v1'],
    ['non.matching.com', '/s1', '404'],
    ['foo.nonmatchingwildcard.io', '/s1', '404'],
    ['foo.wildcard.io', '/s1', '404'],
    ['very.specific.com', '/non-matching-prefix', '404'],
    ['foo.wildcard.io', '/s2', 'v2'],
    ['bar.wildcard.io', '/s2', 'v2'],
    ['foo.bar.wildcard.io', '/s2', 'v2'],
    ['non.matching.com', '/s2', '404'],
    ['wildcard.io', '/s2', '404'],
    ['very.specific.com', '/s2', '404'],
    ['foo.wildcard.io', '/non-matching-prefix', '404'],
    ['very.specific.com', '/s3', 'v3'],
    ['non.matching.com', '/s3', '404'],
    ['foo.specific.com', '/s3', '404'],
    ['foo.wildcard.io', '/s3', '404'],
    ['foo.anotherwildcard.io', '/s4', 'v1'],
    ['bar.anotherwildcard.io', '/s4', 'v1'],
    ['foo.bar.anotherwildcard.io', '/s4', 'v1'],
    ['anotherwildcard.io', '/s4', '404'],
    ['foo.wildcard.io', '/s4', '404'],
    ['very.specific.com', '/s4', '404'],
    ['specific.but.wrong.com', '/s5', '404'],
    ['wildcard.io', '/s5', '404'],
  ])('%s%s -> %s', (host, path, expected) => {
    expect(backend(host, path)).toBe(expected);
  });

  it('routes are accepted only by the listeners they intersect (AttachedRoutes 2, 1, 1)', () => {
    const attached = perListener.map((c) =>
      c.statuses.filter((s) => s.accepted).map((s) => s.route.split('/')[1]),
    );
    expect(attached).toEqual([
      [
        'specific-host-matches-listener-specific-host',
        'wildcard-host-matches-listener-specific-host',
      ],
      ['specific-host-matches-listener-wildcard-host'],
      ['wildcard-host-matches-listener-wildcard-host'],
    ]);
    for (const c of perListener) {
      expect(c.statuses.find((s) => s.route.endsWith('/no-intersecting-hosts'))).toMatchObject({
        accepted: false,
        reason: 'NoMatchingListenerHostname',
      });
    }
  });
});
