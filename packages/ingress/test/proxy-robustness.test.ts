import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileIngresses } from '../src/compile-ingress.js';
import { staticEndpoints } from '../src/endpoints.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { ingress, ipath } from './fixtures.js';
import { close, listen, rawExchange, startEcho, type Backend } from './harness.js';

let backend: Backend, proxy: Server, port: number;

beforeAll(async () => {
  backend = await startEcho('b');
  const compiled = compileIngresses([
    ingress('i', { rules: [{ http: { paths: [ipath('/', 'Prefix', 'b')] } }] }),
  ]);
  proxy = createIngressServer(new Router(new RouteTable(compiled.routes)), {
    endpoints: staticEndpoints({ 'default/b:80': [backend.endpoint] }),
    // A broken log sink: every locally answered error calls it, and it must not matter.
    onEvent: () => {
      throw new Error('log sink down');
    },
    headersTimeoutMs: 500,
    requestTimeoutMs: 1500,
    keepAliveTimeoutMs: 1000,
    maxHeaderSize: 4096,
  });
  port = await listen(proxy);
});

afterAll(async () => {
  await close(proxy, backend.server);
});

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

describe('request smuggling and framing (raw sockets)', () => {
  it('a well-formed raw request is proxied (the harness itself works)', async () => {
    const raw = await rawExchange(port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(raw)).toBe(200);
    expect(raw).toContain('"path":"/ok"');
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    [
      'Transfer-Encoding not ending in chunked',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    ],
    [
      'obfuscated Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'bad chunk size',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    ],
    ['bare LF line endings in the head', 'GET / HTTP/1.1\nHost: x\nContent-Length: 0\n\n'],
    [
      'space in the Content-Length',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 0\r\n\r\n0123456789',
    ],
  ])('%s -> 400 and nothing smuggled reaches the backend', async (_name, payload) => {
    const before = backend.requests.length;
    const raw = await rawExchange(port, payload);
    expect(statusOf(raw)).toBe(400);
    expect(backend.requests.slice(before).some((r) => r.path.includes('smuggled'))).toBe(false);
  });

  it('two Host headers -> 400 (routing must not pick one of them)', async () => {
    expect(
      statusOf(
        await rawExchange(port, 'GET /a/..%2f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ),
    ).toBe(400);
    const raw = await rawExchange(
      port,
      'GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(raw)).toBe(400);
  });

  it('chunked request bodies are re-framed for the backend, not passed through raw', async () => {
    const raw = await rawExchange(
      port,
      'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    expect(statusOf(raw)).toBe(200);
    expect(raw).toContain('"body":"abcde"');
  });
});

describe('oversize and slow clients', () => {
  it('431 for a request head above maxHeaderSize', async () => {
    const raw = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`,
    );
    expect(statusOf(raw)).toBe(431);
  });

  it(
    'a client that never finishes its headers is cut off (408) after headersTimeout',
    { timeout: 15_000 },
    async () => {
      const t0 = Date.now();
      const raw = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n', 10_000);
      const took = Date.now() - t0;
      expect(statusOf(raw)).toBe(408);
      expect(took).toBeGreaterThanOrEqual(450);
      // Node checks the timeouts every connectionsCheckingInterval (500 ms here); a loaded machine
      // adds to that, but the connection must not live on for anything like the default 60 s.
      expect(took).toBeLessThan(8000);
    },
  );

  it(
    'a connection that sends nothing at all is cut off (408) after headersTimeout',
    { timeout: 15_000 },
    async () => {
      const t0 = Date.now();
      const raw = await rawExchange(port, '', 10_000);
      const took = Date.now() - t0;
      expect(statusOf(raw)).toBe(408);
      expect(took).toBeGreaterThanOrEqual(450);
      expect(took).toBeLessThan(8000);
    },
  );

  it(
    'an idle keep-alive connection is closed after keepAliveTimeout, not kept for ever',
    { timeout: 15_000 },
    async () => {
      const t0 = Date.now();
      const raw = await rawExchange(port, 'GET /idle HTTP/1.1\r\nHost: x\r\n\r\n', 10_000);
      expect(statusOf(raw)).toBe(200);
      expect(Date.now() - t0).toBeLessThan(8000);
    },
  );

  it(
    'a client trickling its body is cut off after requestTimeout',
    { timeout: 15_000 },
    async () => {
      const t0 = Date.now();
      const closed = await new Promise<number>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
        const drip = setInterval(() => s.write('x'), 100);
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - t0);
        });
      });
      expect(closed).toBeGreaterThanOrEqual(1400);
      expect(closed).toBeLessThan(10_000);
    },
  );

  it('the server is still healthy afterwards', async () => {
    expect(
      statusOf(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
    ).toBe(200);
  });
});
