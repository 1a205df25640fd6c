import { describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { corsHeaders, parseCorsOrigin, preflightHeaders } from '../src/cors.js';
import type { CorsPolicy } from '../src/route.js';
import { httpRoute } from './fixtures.js';

function policy(p: Partial<CorsPolicy> & { origins: string[] }): CorsPolicy {
  return {
    allowOrigins: p.origins.map((o) => parseCorsOrigin(o) ?? '*'),
    allowMethods: p.allowMethods ?? [],
    allowHeaders: p.allowHeaders ?? [],
    exposeHeaders: p.exposeHeaders ?? [],
    allowCredentials: p.allowCredentials ?? false,
    maxAgeSeconds: p.maxAgeSeconds ?? 5,
  };
}

describe('CORS origins', () => {
  const p = policy({
    origins: ['https://app.example.com', 'https://*.wild.example', 'http://local.test:8080'],
  });
  it.each([
    ['https://app.example.com', true],
    ['https://app.example.com:443', true],
    ['http://app.example.com', false],
    ['https://app.example.com:8443', false],
    ['https://a.wild.example', true],
    ['https://a.b.wild.example', true],
    ['https://wild.example', false],
    ['http://local.test:8080', true],
    ['http://local.test', false],
    ['null', false],
  ])('%s allowed: %s', (origin, allowed) => {
    expect(corsHeaders(p, origin)['access-control-allow-origin'] !== undefined).toBe(allowed);
  });

  it('rejects things that are not origins', () => {
    for (const bad of [
      'app.example.com',
      'ftp://x.test',
      'https://x.test/path',
      'https://x.test:0',
      'https://bad_host',
    ]) {
      expect(parseCorsOrigin(bad)).toBeUndefined();
    }
  });
});

describe('CORS response headers (Gateway API rules)', () => {
  it('without credentials `*` is answered as `*`', () => {
    const p = policy({
      origins: ['*'],
      allowMethods: ['*'],
      allowHeaders: ['*'],
      exposeHeaders: ['x-total'],
    });
    expect(preflightHeaders(p, 'https://x.test', 'PUT', 'x-a')).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': '*',
      'access-control-allow-headers': '*',
      'access-control-expose-headers': 'x-total',
      'access-control-max-age': '5',
    });
  });

  it('with credentials the origin, method and headers are echoed instead of `*`', () => {
    const p = policy({
      origins: ['*'],
      allowMethods: ['*'],
      allowHeaders: ['*'],
      allowCredentials: true,
    });
    expect(preflightHeaders(p, 'https://x.test', 'PUT', 'x-a, x-b')).toEqual({
      'access-control-allow-origin': 'https://x.test',
      vary: 'Origin',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-a, x-b',
      'access-control-max-age': '5',
    });
  });

  it('a disallowed origin gets no CORS headers at all', () => {
    expect(
      preflightHeaders(
        policy({ origins: ['https://a.test'], allowMethods: ['GET'] }),
        'https://b.test',
        'GET',
        undefined,
      ),
    ).toEqual({});
  });
});

describe('HTTPRoute CORS filter', () => {
  it('compiles into the route options with the spec default maxAge 5; bad origins reject the rule', () => {
    const ok = compileHttpRoutes([
      httpRoute('c', {
        rules: [
          {
            filters: [
              {
                type: 'CORS',
                cors: {
                  allowOrigins: ['https://*.example.com'],
                  allowMethods: ['GET', 'POST'],
                  allowCredentials: true,
                },
              },
            ],
            backendRefs: [{ name: 's', port: 80 }],
          },
        ],
      }),
    ]);
    const cors = ok.routes[0]?.action.options.cors;
    expect(cors).toMatchObject({
      allowMethods: ['GET', 'POST'],
      allowCredentials: true,
      maxAgeSeconds: 5,
    });
    expect(
      cors && corsHeaders(cors, 'https://api.example.com')['access-control-allow-origin'],
    ).toBe('https://api.example.com');
    const bad = compileHttpRoutes([
      httpRoute('b', {
        rules: [
          {
            filters: [{ type: 'CORS', cors: { allowOrigins: ['example.com'] } }],
            backendRefs: [{ name: 's', port: 80 }],
          },
        ],
      }),
    ]);
    expect(bad.statuses[0]).toMatchObject({ accepted: false, reason: 'UnsupportedValue' });
  });
});
