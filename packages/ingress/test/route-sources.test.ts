import { describe, expect, it } from 'vitest';
import type { IngressClass } from '../src/api-types.js';
import { TlsConfigError } from '../src/errors.js';
import { buildRouteTable } from '../src/route-sources.js';
import { certificateFromSecret } from '../src/tls-secret.js';
import { TlsStore } from '../src/tls-store.js';
import { makeCert } from './certs.js';
import { httpRoute, ingress, ipath } from './fixtures.js';

const ME = 'switchyard.dev/ingress-controller';
const classes: IngressClass[] = [
  { metadata: { name: 'sy' }, spec: { controller: ME } },
  { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
];

describe('buildRouteTable', () => {
  it('compiles owned Ingresses and every listener’s HTTPRoutes into one table with their status', () => {
    const built = buildRouteTable({
      ingress: {
        controller: ME,
        classes,
        ingresses: [
          ingress('ours', {
            ingressClassName: 'sy',
            rules: [{ host: 'i.test', http: { paths: [ipath('/', 'Prefix', 'mine')] } }],
          }),
          ingress('theirs', {
            ingressClassName: 'nginx',
            rules: [{ host: 'i.test', http: { paths: [ipath('/x', 'Prefix', 'theirs')] } }],
          }),
          ingress(
            'snippet',
            { ingressClassName: 'sy' },
            { annotations: { 'nginx.ingress.kubernetes.io/server-snippet': 'x' } },
          ),
        ],
      },
      listeners: [
        {
          listener: { hostname: 'g.test' },
          routes: [httpRoute('gw', { rules: [{ backendRefs: [{ name: 'gw', port: 80 }] }] })],
        },
        {
          listener: { hostname: 'other.test' },
          routes: [httpRoute('elsewhere', { hostnames: ['nope.test'], rules: [] })],
        },
      ],
    });
    const svc = (host: string, path: string): string | undefined =>
      built.table.match({ host, path, method: 'GET', headers: {}, query: '' })?.action.backends[0]
        ?.service?.name;
    expect(svc('i.test', '/x')).toBe('mine');
    expect(svc('g.test', '/')).toBe('gw');
    expect(built.ingressProblems).toEqual([
      expect.objectContaining({ ingress: 'default/snippet', rejected: true }),
    ]);
    expect(built.routeStatuses.map((l) => l.map((s) => [s.route, s.accepted, s.reason]))).toEqual([
      [['default/gw', true, 'Accepted']],
      [['default/elsewhere', false, 'NoMatchingListenerHostname']],
    ]);
  });
});

describe('certificateFromSecret', () => {
  it('decodes a kubernetes.io/tls Secret into a pair the TLS store accepts', async () => {
    const pair = await makeCert(['s.test']);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const secret = {
      metadata: { name: 'tls', namespace: 'web' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key) },
    };
    expect(new TlsStore().set(certificateFromSecret(secret))).toEqual(['s.test']);
  });

  it('names the Secret when it is not usable', () => {
    expect(() =>
      certificateFromSecret({ metadata: { name: 'x', namespace: 'ns' }, type: 'Opaque', data: {} }),
    ).toThrow(/Secret ns\/x: type Opaque/);
    expect(() =>
      certificateFromSecret({ metadata: { name: 'y' }, data: { 'tls.crt': 'AA==' } }),
    ).toThrow(TlsConfigError);
  });
});
