import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer, request, type Server } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { runUnchecked } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileIngresses } from '../src/compile-ingress.js';
import { staticEndpoints } from '../src/endpoints.js';
import { TlsConfigError } from '../src/errors.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { TlsStore, type CertificatePair } from '../src/tls-store.js';
import { makeCert } from './certs.js';
import { ingress, ipath } from './fixtures.js';
import { close, listen, startEcho, type Backend, type Echo } from './harness.js';

let backend: Backend, secureBackend: Server, port: number;
let proxy: ReturnType<typeof createIngressServer>;
let exact: CertificatePair, wildcard: CertificatePair, fallback: CertificatePair;
const store = new TlsStore();

beforeAll(async () => {
  [exact, wildcard, fallback] = await Promise.all([
    makeCert(['secure.test']),
    makeCert(['*.wild.test']),
    makeCert(['default.invalid']),
  ]);
  expect(store.set(exact)).toEqual(['secure.test']);
  expect(store.set(wildcard)).toEqual(['*.wild.test']);
  store.setDefault(fallback);
  backend = await startEcho('b');
  // An HTTPS backend (self-signed, as pod certificates usually are to the proxy).
  secureBackend = createHttpsServer({ cert: exact.cert, key: exact.key }, (req, res) => {
    res.end(
      `tls backend saw ${req.url} over ${(req.socket as TLSSocket).encrypted ? 'TLS' : 'plain'}`,
    );
  });
  const secureBackendPort = await listen(secureBackend);
  const compiled = compileIngresses([
    ingress(
      'https-backend',
      {
        rules: [
          {
            host: 'tls-backend.test',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'sb', port: { number: 443 } } },
                },
              ],
            },
          },
        ],
      },
      { annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' } },
    ),
    ingress('plain-to-tls', {
      rules: [
        {
          host: 'plain-to-tls.test',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'sb', port: { number: 443 } } },
              },
            ],
          },
        },
      ],
    }),
    ingress('i', {
      tls: [{ hosts: ['secure.test'], secretName: 's' }],
      rules: [
        { host: 'secure.test', http: { paths: [ipath('/', 'Prefix', 'b')] } },
        { http: { paths: [ipath('/', 'Prefix', 'b')] } },
      ],
    }),
  ]);
  proxy = createIngressServer(new Router(new RouteTable(compiled.routes)), {
    endpoints: staticEndpoints({
      'default/b:80': [backend.endpoint],
      'default/sb:443': [{ address: '127.0.0.1', port: secureBackendPort }],
    }),
    tls: store,
  });
  port = await listen(proxy);
});

afterAll(async () => {
  await close(proxy, backend.server, secureBackend);
});

/** The certificate the server presents for a server name (no name: no SNI extension). */
function presented(servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(
      { host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) },
      () => {
        const cert = s.getPeerX509Certificate();
        s.end();
        resolve(cert ? (cert.subject.match(/CN=(.*)/)?.[1] ?? '') : '');
      },
    );
    s.on('error', reject);
  });
}

describe('TLS termination with SNI', () => {
  it('chooses the certificate by server name, wildcard for one label, default otherwise', async () => {
    expect(await presented('secure.test')).toBe('secure.test');
    expect(await presented('a.wild.test')).toBe('*.wild.test');
    expect(await presented('a.b.wild.test')).toBe('default.invalid');
    expect(await presented('unknown.test')).toBe('default.invalid');
    expect(await presented(undefined)).toBe('default.invalid');
  });

  it('openssl s_client -servername sees the matching certificate', async () => {
    const r = await runUnchecked(
      ['openssl', 's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'x.wild.test'],
      { input: '', timeoutMs: 10_000 },
    );
    expect(r.stdout).toMatch(/subject=CN\s*=\s*\*\.wild\.test/);
  });

  it('HTTPS requests are proxied with X-Forwarded-Proto https and not ssl-redirected', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/x',
          servername: 'secure.test',
          headers: { host: 'secure.test' },
          ca: exact.cert,
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as Echo).headers['x-forwarded-proto']).toBe('https');
  });

  it('backend-protocol: HTTPS speaks TLS to the backend; without it the same backend is a 502', async () => {
    const viaProxy = (host: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/x',
            servername: host,
            headers: { host },
            rejectUnauthorized: false,
            agent: false,
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await viaProxy('tls-backend.test')).toEqual({
      status: 200,
      body: 'tls backend saw /x over TLS',
    });
    expect((await viaProxy('plain-to-tls.test')).status).toBe(502);
  });

  it('rejects a key that does not fit the certificate and leaves the store unchanged', () => {
    const before = store.hosts();
    expect(() => store.set({ cert: exact.cert, key: wildcard.key })).toThrow(TlsConfigError);
    expect(() => store.set({ cert: 'not pem', key: 'nope' }, ['x.test'])).toThrow(TlsConfigError);
    expect(store.hosts()).toEqual(before);
    expect(new X509Certificate(exact.cert).subject).toContain('secure.test');
  });
});
