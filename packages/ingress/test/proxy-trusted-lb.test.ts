import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileIngresses } from '../src/compile-ingress.js';
import { staticEndpoints } from '../src/endpoints.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { ingress, ipath } from './fixtures.js';
import { close, fetchVia, listen, startEcho, type Backend, type Echo } from './harness.js';

// Two proxies over the same ssl-redirect route: one trusting X-Forwarded-* (behind a load
// balancer that terminates TLS), one facing clients directly.
let backend: Backend, trusting: Server, direct: Server, trustingPort: number, directPort: number;

beforeAll(async () => {
  backend = await startEcho('b');
  const compiled = compileIngresses([
    ingress('s', {
      tls: [{ hosts: ['secure.test'] }],
      rules: [{ host: 'secure.test', http: { paths: [ipath('/', 'Prefix', 'b')] } }],
    }),
  ]);
  const opts = { endpoints: staticEndpoints({ 'default/b:80': [backend.endpoint] }) };
  trusting = createIngressServer(new Router(new RouteTable(compiled.routes)), {
    ...opts,
    trustForwardedHeaders: true,
  });
  direct = createIngressServer(new Router(new RouteTable(compiled.routes)), opts);
  [trustingPort, directPort] = await Promise.all([listen(trusting), listen(direct)]);
});

afterAll(async () => {
  await close(trusting, direct, backend.server);
});

describe('behind a TLS-terminating load balancer', () => {
  const lb = {
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    'x-forwarded-for': '203.0.113.7',
  };

  it('a trusted X-Forwarded-Proto: https is not redirected again (no loop) and keeps the chain', async () => {
    const r = await fetchVia(trustingPort, '/x', { host: 'secure.test', headers: lb });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '203.0.113.7, 127.0.0.1',
      'x-real-ip': '203.0.113.7',
    });
    const plain = await fetchVia(trustingPort, '/x', {
      host: 'secure.test',
      headers: { 'x-forwarded-proto': 'http' },
    });
    expect([plain.status, plain.headers.location]).toEqual([308, 'https://secure.test/x']);
  });

  it('a proxy facing clients ignores the same headers: still 308, chain replaced', async () => {
    const r = await fetchVia(directPort, '/x', { host: 'secure.test', headers: lb });
    expect([r.status, r.headers.location]).toEqual([308, 'https://secure.test/x']);
  });
});
