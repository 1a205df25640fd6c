import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, get as httpGet, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { compileIngresses } from '../src/compile-ingress.js';
import { staticEndpoints, type Endpoint } from '../src/endpoints.js';
import type { ProxyEvent } from '../src/proxy-options.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute, ingress, ipath } from './fixtures.js';
import { close, fetchVia, listen, startEcho, type Backend, type Echo } from './harness.js';

let good: Backend, hang: Server, dying: Server, proxy: Server, port: number;
let dead: Endpoint, blackhole: Endpoint, sink: Server, stream: Server;
let blackholeProcess: ChildProcess;
const fillers: Socket[] = [];
const sinkState = { started: 0, aborted: 0 };
const streamState = { started: 0, closedEarly: 0 };
const events: ProxyEvent[] = [];

/**
 * A listener that never accepts, with a full accept queue: the kernel drops further SYNs, so a
 * connect to it hangs like a connect to an unreachable host (but stays on loopback).
 */
async function startBlackhole(): Promise<Endpoint> {
  blackholeProcess = spawn(
    'python3',
    [
      '-c',
      [
        'import socket, sys, time',
        's = socket.socket()',
        "s.bind(('127.0.0.1', 0))",
        's.listen(0)',
        'print(s.getsockname()[1], flush=True)',
        'time.sleep(120)',
      ].join('\n'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    blackholeProcess.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  for (let i = 0; i < 3; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  return { address: '127.0.0.1', port };
}

beforeAll(async () => {
  good = await startEcho('good');
  // A port with nothing listening: bind, note the port, close.
  const tmp = createServer();
  dead = { address: '127.0.0.1', port: await listen(tmp) };
  await close(tmp);
  hang = createServer(() => undefined); // accepts, never answers
  dying = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  sink = createServer((req) => {
    sinkState.started++;
    req.on('close', () => {
      if (!req.complete) sinkState.aborted++;
    });
    req.resume();
  });
  stream = createServer((_req, res) => {
    streamState.started++;
    res.writeHead(200);
    const tick = setInterval(() => res.write('chunk\n'), 10);
    res.on('close', () => {
      clearInterval(tick);
      if (!res.writableFinished) streamState.closedEarly++;
    });
  });
  blackhole = await startBlackhole();
  const [hangPort, dyingPort, sinkPort, streamPort] = await Promise.all([
    listen(hang),
    listen(dying),
    listen(sink),
    listen(stream),
  ]);
  const to = (
    name: string,
    path: string,
    weight?: number,
  ): Parameters<typeof httpRoute>[1]['rules'] => [
    {
      matches: [{ path: { type: 'PathPrefix', value: path } }],
      backendRefs: [weight === undefined ? { name, port: 80 } : { name, port: 80, weight }],
    },
  ];
  const gw = compileHttpRoutes([
    httpRoute('r', {
      hostnames: ['f.test'],
      rules: [
        ...(to('good', '/ok') ?? []),
        ...(to('empty', '/empty') ?? []),
        ...(to('zero', '/zero', 0) ?? []),
        ...(to('retry', '/retry') ?? []),
        ...(to('hang', '/hang') ?? []),
        ...(to('dying', '/dying') ?? []),
        ...(to('gone', '/gone') ?? []),
        ...(to('blackhole', '/blackhole') ?? []),
        ...(to('blackhole-then-good', '/bh-retry') ?? []),
        ...(to('sink', '/sink') ?? []),
        ...(to('stream', '/stream') ?? []),
        ...(to('flaky', '/flaky') ?? []),
        {
          matches: [{ path: { type: 'PathPrefix', value: '/deadline' } }],
          timeouts: { request: '200ms' },
          backendRefs: [{ name: 'hang', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/attempt-deadline' } }],
          timeouts: { request: '10s', backendRequest: '150ms' },
          backendRefs: [{ name: 'hang', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/invalid' } }],
          backendRefs: [{ name: 'x', namespace: 'elsewhere', port: 80 }],
        },
      ],
    }),
  ]);
  const big = compileIngresses([
    ingress(
      'big',
      { rules: [{ host: 'big.test', http: { paths: [ipath('/', 'Prefix', 'good')] } }] },
      { annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '64k' } },
    ),
    ingress(
      'patient',
      { rules: [{ host: 'patient.test', http: { paths: [ipath('/', 'Prefix', 'hang')] } }] },
      { annotations: { 'switchyard.dev/proxy-read-timeout': '1' } },
    ),
  ]);
  const endpoints = staticEndpoints({
    'default/good:80': [good.endpoint],
    'default/retry:80': [dead, good.endpoint],
    'default/gone:80': [dead],
    'default/blackhole:80': [blackhole],
    'default/blackhole-then-good:80': [blackhole, good.endpoint],
    'default/sink:80': [{ address: '127.0.0.1', port: sinkPort }],
    'default/stream:80': [{ address: '127.0.0.1', port: streamPort }],
    'default/hang:80': [{ address: '127.0.0.1', port: hangPort }],
    'default/dying:80': [{ address: '127.0.0.1', port: dyingPort }],
  });
  const table = new RouteTable([...gw.routes, ...big.routes]);
  // The app's resolver is foreign code: for `flaky` it answers once, then throws (as it would
  // on a retry after the first endpoint refused the connection).
  let flakyCalls = 0;
  proxy = createIngressServer(new Router(table), {
    endpoints: (svc) => {
      if (svc.name !== 'flaky') return endpoints(svc);
      if (flakyCalls++ % 2 === 0) return [dead];
      throw new Error('informer cache not ready');
    },
    maxBodyBytes: 1024,
    readTimeoutMs: 300,
    connectTimeoutMs: 300,
    onEvent: (e) => events.push(e),
  });
  port = await listen(proxy);
});

afterAll(async () => {
  for (const f of fillers) f.destroy();
  blackholeProcess.kill('SIGKILL');
  await close(proxy, good.server, hang, dying, sink, stream);
});

const get = (
  path: string,
  init: Parameters<typeof fetchVia>[2] = {},
): ReturnType<typeof fetchVia> => fetchVia(port, path, { host: 'f.test', ...init });

describe('error statuses', () => {
  it('404 no route, 503 no endpoints, 500 for zero weights and invalid references', async () => {
    expect((await get('/nothing')).status).toBe(404);
    expect((await get('/empty')).status).toBe(503);
    expect((await get('/zero')).status).toBe(500);
    expect((await get('/invalid')).status).toBe(500);
  });

  it('connect failure: idempotent requests retry on another endpoint, POST does not', async () => {
    const r = await get('/retry');
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).backend).toBe('good');
    expect((await get('/gone')).status).toBe(502);
    // /retry's round robin starts at the dead endpoint again after two uses.
    const before = good.requests.length;
    await get('/retry');
    const post = await get('/retry', { method: 'POST', body: 'x' });
    const postAgain = await get('/retry', { method: 'POST', body: 'x' });
    expect([post.status, postAgain.status].sort()).toEqual([200, 502]);
    expect(good.requests.length - before).toBe(2);
  });

  it('an endpoint resolver that throws (even from a retry) costs a 502, not the server', async () => {
    expect((await get('/flaky')).status).toBe(502);
    expect(events.some((e) => e.msg === 'endpoint resolver failed for default/flaky:80')).toBe(
      true,
    );
    expect((await get('/ok')).status).toBe(200);
  });

  it('504 when the backend does not answer within the read timeout', async () => {
    const t0 = Date.now();
    expect((await get('/hang')).status).toBe(504);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(events.some((e) => e.status === 504 && e.msg === 'read timeout')).toBe(true);
  });

  it('proxy-read-timeout on the Ingress replaces the proxy default (1 s instead of 300 ms)', async () => {
    const t0 = Date.now();
    expect((await fetchVia(port, '/', { host: 'patient.test' })).status).toBe(504);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('HTTPRoute timeouts.request and timeouts.backendRequest answer 504 before the read timeout', async () => {
    for (const [path, msg] of [
      ['/deadline', 'request timeout'],
      ['/attempt-deadline', 'backend request timeout'],
    ] as const) {
      const t0 = Date.now();
      expect((await get(path)).status).toBe(504);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(events.filter((e) => e.status === 504).at(-1)?.msg).toBe(msg);
    }
  });

  it('504 on connect timeout; an idempotent request moves on to the next endpoint', async () => {
    const t0 = Date.now();
    expect((await get('/blackhole')).status).toBe(504);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(events.some((e) => e.status === 504 && e.msg === 'connect timeout')).toBe(true);
    const r = await get('/bh-retry');
    expect([r.status, (JSON.parse(r.body) as Echo).backend]).toEqual([200, 'good']);
  });

  it('a client aborting its upload aborts the upstream request', async () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(
      'POST /sink HTTP/1.1\r\nHost: f.test\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(100),
    );
    await expect.poll(() => sinkState.started).toBe(1);
    s.destroy();
    await expect.poll(() => sinkState.aborted).toBe(1);
  });

  it('a client going away mid-download closes the upstream response', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpGet(
        { host: '127.0.0.1', port, path: '/stream', agent: false, headers: { host: 'f.test' } },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    });
    await expect.poll(() => streamState.closedEarly).toBe(1);
  });

  it('a backend dying mid-response breaks that response only; the proxy keeps serving', async () => {
    await expect(get('/dying')).rejects.toThrow();
    expect((await get('/ok')).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('passes bodies through and answers 413 above the limit (declared or chunked)', async () => {
    const ok = await get('/ok', { method: 'PUT', body: 'y'.repeat(1000) });
    expect((JSON.parse(ok.body) as Echo).body).toHaveLength(1000);
    expect((await get('/ok', { method: 'PUT', body: 'y'.repeat(2000) })).status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/ok',
          method: 'POST',
          agent: false,
          headers: { host: 'f.test', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('z'.repeat(512));
      req.end();
    });
    expect(chunked).toBe(413);
  });

  it('proxy-body-size raises the limit for its Ingress', async () => {
    const r = await fetchVia(port, '/', {
      host: 'big.test',
      method: 'POST',
      body: 'q'.repeat(60_000),
    });
    expect((JSON.parse(r.body) as Echo).body).toHaveLength(60_000);
    expect(
      (await fetchVia(port, '/', { host: 'big.test', method: 'POST', body: 'q'.repeat(70_000) }))
        .status,
    ).toBe(413);
  });
});
