import { createHash } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  connect,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { staticEndpoints } from '../src/endpoints.js';
import type { ResponseRecord } from '../src/proxy-options.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute } from './fixtures.js';
import { close, listen, rawExchange, startEcho, type Backend, type Echo } from './harness.js';

// The standalone server serves plain bodyless requests itself (raw sockets both ways) and hands
// a connection to Node's HTTP server at the first request it does not. Which path served shows
// in what the backend receives: Node's client adds `Connection: keep-alive` upstream, the fast
// path sends no Connection header (HTTP/1.1 keeps alive by default).

/** 16 MiB that do not repeat at any buffer size the proxy might use (a xorshift stream). */
const BIG_BODY = Buffer.alloc(16 * 1024 * 1024);
{
  const words = new Uint32Array(BIG_BODY.buffer, BIG_BODY.byteOffset, BIG_BODY.length / 4);
  let x = 2463534242;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}
const BIG_SHA = createHash('sha256').update(BIG_BODY).digest('hex');

/** Answers by path with responses Node's own server would not produce. */
const ODD: Record<string, string | ((s: Socket) => void)> = {
  '/odd/big': (s) => {
    // Small pieces, so the proxy reads less than a full buffer at a time.
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BIG_BODY.length}\r\n\r\n`);
    let at = 0;
    const more = (): void => {
      if (at >= BIG_BODY.length || s.destroyed) return;
      s.write(BIG_BODY.subarray(at, (at += 4000)));
      setImmediate(more);
    };
    more();
  },
  '/odd/bigchunked': (s) => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < BIG_BODY.length; i += 1_000_000) {
      const part = BIG_BODY.subarray(i, i + 1_000_000);
      s.write(`${part.length.toString(16)}\r\n`);
      s.write(part);
      s.write('\r\n');
    }
    s.write('0\r\n\r\n');
  },
  '/odd/chunked':
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n',
  '/odd/early':
    'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/odd/smuggle':
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  '/odd/hop':
    'HTTP/1.1 200 OK\r\nX-Keep:  a  b \t\r\nConnection: keep-alive, X-Private, Content-Length\r\n' +
    'Keep-Alive: timeout=5\r\nx-private: secret\r\nContent-Length: 2\r\n' +
    'Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nok',
  '/odd/close': (s) => s.end('HTTP/1.1 200 OK\r\nX-Odd: 1\r\n\r\nabcd'),
  '/odd/die': (s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    setTimeout(() => s.destroy(), 50);
  },
};

let echo: Backend, odd: NetServer, proxy: Server, port: number;
const records: ResponseRecord[] = [];
let clientConnections = 0;

beforeAll(async () => {
  echo = await startEcho('a');
  odd = createNetServer((s) => {
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const path = buf.slice(0, end).split(' ')[1] ?? '';
        buf = buf.slice(end + 4);
        const answer = ODD[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
        if (typeof answer === 'string') s.write(answer);
        else answer(s);
      }
    });
  });
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
  const oddPort = (odd.address() as { port: number }).port;
  const closed = createNetServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const refusedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { routes } = compileHttpRoutes([
    httpRoute('fast', {
      hostnames: ['fast.test'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/odd' } }],
          backendRefs: [{ name: 'odd', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/framing' } }],
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: {
                set: [
                  { name: 'Content-Length', value: '1' },
                  { name: 'Connection', value: 'close' },
                ],
              },
            },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/rewrite-host' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'inner.test' } }],
          backendRefs: [{ name: 'a', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/bad-port' } }],
          backendRefs: [{ name: 'bad', port: 80 }],
        },
        {
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: {
                set: [{ name: 'X-Added', value: 'yes' }],
                remove: ['x-remove-me'],
              },
            },
          ],
          backendRefs: [{ name: 'a', port: 80 }],
        },
      ],
    }),
  ]);
  proxy = createIngressServer(new Router(new RouteTable(routes)), {
    endpoints: staticEndpoints({
      'default/a:80': [echo.endpoint],
      'default/odd:80': [{ address: '127.0.0.1', port: oddPort }],
      // Refused, then a port net refuses synchronously: the retry must not throw.
      'default/bad:80': [
        { address: '127.0.0.1', port: refusedPort },
        { address: '127.0.0.1', port: 70_000 },
      ],
    }),
    onResponse: (r) => records.push(r),
  });
  proxy.on('connection', () => clientConnections++);
  port = await listen(proxy);
});

afterAll(async () => {
  await close(proxy, echo.server);
  await new Promise<void>((resolve) => odd.close(() => resolve()));
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request over `agent` (keep-alive, one socket: every request shares one connection). */
function send(agent: Agent, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent, headers: { host: 'fast.test' } },
      (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The data of a complete chunked body (sizes and CRLFs removed). */
function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    const size = parseInt(b.toString('latin1', at, eol), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const oneConnection = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

describe('fast path', () => {
  it('serves GETs on a keep-alive connection and hands it to Node at the first POST', async () => {
    const agent = oneConnection();
    const before = clientConnections;
    const replies = [
      await send(agent, '/one'),
      await send(agent, '/two'),
      await send(agent, '/three', 'POST', 'body'),
      await send(agent, '/four'),
    ];
    agent.destroy();
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const seen = replies.map((r) => JSON.parse(r.body) as Echo);
    expect(seen.map((e) => [e.path, e.method, e.body])).toEqual([
      ['/one', 'GET', ''],
      ['/two', 'GET', ''],
      ['/three', 'POST', 'body'],
      ['/four', 'GET', ''],
    ]);
    // Fast, fast, then Node's server for the rest of the connection.
    expect(seen.map((e) => e.headers.connection)).toEqual([
      undefined,
      undefined,
      'keep-alive',
      'keep-alive',
    ]);
    expect(clientConnections - before).toBe(1);
  });

  it('forwards the same X-Forwarded-* and applies the same filters as the general handler', async () => {
    const agent = oneConnection();
    const fast = await send(agent, '/x?q=1');
    const general = await send(agent, '/x?q=1', 'POST', '');
    agent.destroy();
    const pick = (h: IncomingHttpHeaders): unknown[] =>
      [
        'host',
        'x-forwarded-for',
        'x-forwarded-host',
        'x-forwarded-proto',
        'x-forwarded-port',
        'x-real-ip',
      ].map((k) => h[k]);
    const [f, g] = [JSON.parse(fast.body) as Echo, JSON.parse(general.body) as Echo];
    expect(pick(f.headers)).toEqual(pick(g.headers));
    expect(pick(f.headers)).toEqual([
      'fast.test',
      '127.0.0.1',
      'fast.test',
      'http',
      String(port),
      '127.0.0.1',
    ]);
    for (const r of [fast, general]) {
      expect(r.headers['x-added']).toBe('yes');
      expect(r.headers['x-remove-me']).toBeUndefined();
      expect(r.headers['x-backend']).toBe('a');
      expect(r.headers.date).toBeDefined();
    }
  });

  it('replaces the client X-Forwarded-*, drops hop-by-hop fields, sends a rewritten Host', async () => {
    const raw = await rawExchange(
      port,
      'GET /rewrite-host/x HTTP/1.1\r\nHost: fast.test\r\nX-Forwarded-For: 6.6.6.6\r\n' +
        'X-Real-IP: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Proto: https\r\n' +
        'X-Forwarded-Port: 1\r\nTE: trailers\r\nKeep-Alive: 5\r\nClose: named\r\n' +
        'Accept: */*\r\nConnection: close\r\n\r\n',
    );
    const echoed = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Echo;
    const { connection, ...rest } = echoed.headers;
    expect(connection).toBeUndefined(); // the fast path served it (see the top of this file)
    expect(rest).toEqual({
      host: 'inner.test',
      accept: '*/*',
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'fast.test',
      'x-forwarded-port': String(port),
    });
  });

  it('a response filter cannot change the framing (Content-Length, Connection)', async () => {
    const agent = oneConnection();
    const fast = await send(agent, '/framing');
    const general = await send(agent, '/framing', 'POST', 'x');
    const after = await send(agent, '/after');
    agent.destroy();
    for (const r of [fast, general]) {
      expect((JSON.parse(r.body) as Echo).path).toBe('/framing');
      expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
    }
    expect(after.status).toBe(200);
  });

  it('answers pipelined requests in order, including one that needs Node', async () => {
    const raw = await rawExchange(
      port,
      'GET /p1 HTTP/1.1\r\nHost: fast.test\r\n\r\n' +
        'GET /p2 HTTP/1.1\r\nHost: fast.test\r\n\r\n' +
        'POST /p3 HTTP/1.1\r\nHost: fast.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
    );
    expect(raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual([
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 200',
    ]);
    expect([...raw.matchAll(/"path":"(\/p\d)"/g)].map((m) => m[1])).toEqual(['/p1', '/p2', '/p3']);
  });

  it('relays chunked and close-delimited bodies (re-chunked) and skips 1xx heads', async () => {
    const agent = oneConnection();
    const chunked = await send(agent, '/odd/chunked');
    const early = await send(agent, '/odd/early');
    const closeDelimited = await send(agent, '/odd/close');
    agent.destroy();
    expect([chunked.status, chunked.body, chunked.headers['transfer-encoding']]).toEqual([
      200,
      'hello world',
      'chunked',
    ]);
    expect(chunked.headers.t).toBeUndefined(); // trailers are not relayed
    expect([early.status, early.body]).toEqual([200, 'ok']);
    expect([closeDelimited.status, closeDelimited.body, closeDelimited.headers['x-odd']]).toEqual([
      200,
      'abcd',
      '1',
    ]);
  });

  it('relays end-to-end fields as they came; drops hop-by-hop and Connection-named ones', async () => {
    const agent = oneConnection();
    const r = await send(agent, '/odd/hop');
    const next = await send(agent, '/after');
    agent.destroy();
    expect([r.status, r.body]).toEqual([200, 'ok']);
    expect(r.headers['x-keep']).toBe('a  b');
    expect(r.headers['x-private']).toBeUndefined();
    expect(r.headers['keep-alive']).toBeUndefined();
    // The backend's Date is kept; Content-Length stays although Connection names it: the
    // framing is ours, and without it the client could not tell where the response ends.
    expect(r.headers.date).toBe('Mon, 01 Jan 2024 00:00:00 GMT');
    expect(r.headers['content-length']).toBe('2');
    expect(next.status).toBe(200);
  });

  it('relays 16 MiB intact to a client that stops reading for a while (backpressure)', async () => {
    // The kernel buffers fill while the client does not read, so client writes queue up in the
    // proxy; the upstream read buffer they point into must not be read into again meanwhile.
    for (const path of ['/odd/big', '/odd/bigchunked']) {
      const sha = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        s.pause();
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('error', reject);
        s.on('close', () => {
          const all = Buffer.concat(chunks);
          const headEnd = all.indexOf('\r\n\r\n') + 4;
          let body: Buffer = all.subarray(headEnd);
          if (all.subarray(0, headEnd).toString().includes('chunked')) body = unchunk(body);
          resolve(createHash('sha256').update(body).digest('hex'));
        });
        s.write(`GET ${path} HTTP/1.1\r\nHost: fast.test\r\nConnection: close\r\n\r\n`);
        setTimeout(() => s.resume(), 300);
      });
      expect(sha).toBe(BIG_SHA);
    }
  });

  it('an ambiguous upstream response is a 502 and the client connection keeps serving', async () => {
    const agent = oneConnection();
    const bad = await send(agent, '/odd/smuggle');
    const next = await send(agent, '/after');
    agent.destroy();
    expect(bad.status).toBe(502);
    expect(next.status).toBe(200);
  });

  it('an endpoint net refuses outright (port out of range), even on a retry: 500, no crash', async () => {
    const agent = oneConnection();
    const bad = await send(agent, '/bad-port');
    const next = await send(agent, '/after');
    agent.destroy();
    expect([bad.status, next.status]).toEqual([500, 200]);
  });

  it('a backend dying mid-response closes that client connection: never a short response', async () => {
    const t0 = Date.now();
    const raw = await rawExchange(port, 'GET /odd/die HTTP/1.1\r\nHost: fast.test\r\n\r\n', 3000);
    expect(Date.now() - t0).toBeLessThan(2000); // closed by the proxy, not by our timer
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toContain('Content-Length: 100');
    expect(raw.endsWith('partial')).toBe(true);
    // The proxy itself is fine.
    const agent = oneConnection();
    expect((await send(agent, '/still-up')).status).toBe(200);
    agent.destroy();
  });

  it('reports every request to onResponse like the general handler', async () => {
    const agent = oneConnection();
    records.length = 0;
    await send(agent, '/rec');
    agent.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(records).toEqual([
      expect.objectContaining({
        method: 'GET',
        host: 'fast.test',
        url: '/rec',
        status: 200,
        route: 'HTTPRoute default/fast',
        upstream: `127.0.0.1:${echo.endpoint.port}`,
        completed: true,
      }),
    ]);
  });

  it('server.close() closes idle fast-path keep-alive connections instead of waiting for them', async () => {
    const { routes } = compileHttpRoutes([
      httpRoute('c', { rules: [{ backendRefs: [{ name: 'a', port: 80 }] }] }),
    ]);
    const server = createIngressServer(new Router(new RouteTable(routes)), {
      endpoints: staticEndpoints({ 'default/a:80': [echo.endpoint] }),
    });
    const p = await listen(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: p, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    const t0 = Date.now();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(Date.now() - t0).toBeLessThan(1000);
    agent.destroy();
  });
});
