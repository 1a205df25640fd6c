import { describe, expect, it } from 'vitest';
import { parseIngressAnnotations, parseSize } from '../src/annotations.js';
import { compileIngresses } from '../src/compile-ingress.js';
import { ingress, ipath } from './fixtures.js';

const nginx = (o: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]));

describe('annotation parser', () => {
  it('reads ingress-nginx names, and ours win when both are set', () => {
    const a = parseIngressAnnotations({
      ...nginx({
        'proxy-body-size': '8m',
        'proxy-read-timeout': '120',
        'proxy-connect-timeout': '3',
      }),
      'switchyard.dev/proxy-body-size': '2k',
      'switchyard.dev/proxy-send-timeout': '30s',
    });
    expect(a.options).toEqual({
      maxBodyBytes: 2048,
      readTimeoutMs: 120_000,
      connectTimeoutMs: 3000,
      sendTimeoutMs: 30_000,
    });
    expect(a.warnings).toEqual([]);
  });

  it('parses sizes like nginx; 0 means unlimited', () => {
    expect([
      parseSize('10'),
      parseSize('1k'),
      parseSize('8M'),
      parseSize('1g'),
      parseSize('0'),
    ]).toEqual([10, 1024, 8 * 1024 ** 2, 1024 ** 3, Infinity]);
    expect(parseSize('8 mb')).toBeUndefined();
    expect(parseSize('-1')).toBeUndefined();
  });

  it('canary, affinity, CORS and app-root with their ingress-nginx defaults', () => {
    const a = parseIngressAnnotations(
      nginx({
        canary: 'true',
        'canary-weight': '20',
        'canary-by-header': 'X-Canary',
        'canary-by-cookie': 'beta',
        affinity: 'cookie',
        'enable-cors': 'true',
        'app-root': '/app',
      }),
    );
    expect(a.canary).toEqual({
      weight: 20,
      weightTotal: 100,
      header: { name: 'x-canary' },
      cookie: 'beta',
    });
    expect(a.options.affinity).toEqual({ cookieName: 'INGRESSCOOKIE' });
    expect(a.options.cors).toMatchObject({
      allowOrigins: ['*'],
      allowCredentials: true,
      maxAgeSeconds: 1728000,
    });
    expect(a.options.appRoot).toBe('/app');
  });

  it('limit-rps with the default burst multiplier (5) or an explicit one', () => {
    expect(parseIngressAnnotations(nginx({ 'limit-rps': '10' })).options.rateLimit).toEqual({
      rps: 10,
      burst: 50,
    });
    expect(
      parseIngressAnnotations(nginx({ 'limit-rps': '10', 'limit-burst-multiplier': '1' })).options
        .rateLimit,
    ).toEqual({ rps: 10, burst: 10 });
    expect(parseIngressAnnotations(nginx({ 'limit-rps': '0' })).options.rateLimit).toBeUndefined();
  });

  it('rewrite-target implies regex paths; ssl-redirect and force-ssl-redirect are read', () => {
    const a = parseIngressAnnotations(
      nginx({ 'rewrite-target': '/$2', 'ssl-redirect': 'false', 'force-ssl-redirect': 'true' }),
    );
    expect([a.rewriteTarget, a.useRegex, a.sslRedirect, a.forceSslRedirect]).toEqual([
      '/$2',
      true,
      false,
      true,
    ]);
  });

  it('invalid values and unsupported annotations become warnings and change nothing', () => {
    const a = parseIngressAnnotations({
      ...nginx({
        'proxy-body-size': 'lots',
        'canary-weight': '-5',
        canary: 'yes',
        'auth-url': 'http://auth',
        affinity: 'ip',
      }),
      'switchyard.dev/made-up': 'x',
      'unrelated.io/thing': 'ignored silently',
    });
    expect(a.options).toEqual({});
    expect(a.canary).toBeUndefined();
    expect(a.warnings).toHaveLength(5);
    expect(a.warnings.join('\n')).toMatch(/auth-url: not supported; ignored/);
    expect(a.warnings.join('\n')).toMatch(/switchyard.dev\/made-up: not supported/);
    expect(a.rejected).toBeUndefined();
  });

  it.each([
    'configuration-snippet',
    'server-snippet',
    'auth-snippet',
    'stream-snippet',
    'modsecurity-snippet',
  ])('rejects the whole Ingress for %s and names it', (name) => {
    const a = parseIngressAnnotations({ [`nginx.ingress.kubernetes.io/${name}`]: 'return 200;' });
    expect(a.rejected).toContain(`nginx.ingress.kubernetes.io/${name}`);
    const compiled = compileIngresses([
      ingress(
        's',
        { rules: [{ host: 's.test', http: { paths: [ipath('/')] } }] },
        { annotations: { [`nginx.ingress.kubernetes.io/${name}`]: 'x' } },
      ),
    ]);
    expect(compiled.routes).toEqual([]);
    expect(compiled.problems).toEqual([
      {
        ingress: 'default/s',
        rejected: true,
        message: expect.stringContaining('snippet annotations are not supported'),
      },
    ]);
  });

  it('a canary without a primary Ingress is reported and ignored', () => {
    const compiled = compileIngresses([
      ingress(
        'c',
        { rules: [{ host: 'c.test', http: { paths: [ipath('/')] } }] },
        { annotations: nginx({ canary: 'true', 'canary-weight': '50' }) },
      ),
    ]);
    expect(compiled.routes).toEqual([]);
    expect(compiled.problems[0]?.message).toMatch(/no primary Ingress/);
  });
});

describe('annotation values are data, never protocol text', () => {
  it('a value with a line break is ignored with a warning', () => {
    const a = parseIngressAnnotations(
      nginx({
        'rewrite-target': '/x\r\nX-Evil: 1',
        'enable-cors': 'true',
        'cors-allow-headers': 'a\nb',
      }),
    );
    expect(a.rewriteTarget).toBeUndefined();
    expect(a.options.cors?.allowHeaders[0]).toBe('DNT');
    expect(a.warnings).toHaveLength(2);
  });
});
