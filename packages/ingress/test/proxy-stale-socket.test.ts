import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { staticEndpoints } from '../src/endpoints.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute } from './fixtures.js';
import { close, fetchVia, listen } from './harness.js';

// A backend speaking just enough HTTP/1.1: every connection answers its first request with a
// keep-alive 200, then resets (RST) when a second request arrives on it — the race of a pooled
// connection the backend closed just as the proxy reused it, made deterministic.
let backend: NetServer, proxy: Server, port: number;
const sockets = new Set<Socket>();
let connections = 0;
let resets = 0;

beforeAll(async () => {
  backend = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let served = 0;
    socket.on('data', (d: Buffer) => {
      if (!d.toString().includes('\r\n\r\n')) return;
      if (served++ === 0) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
      } else {
        resets++;
        socket.resetAndDestroy();
      }
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  const table = new RouteTable(
    compileHttpRoutes([httpRoute('r', { rules: [{ backendRefs: [{ name: 'b', port: 80 }] }] })])
      .routes,
  );
  proxy = createIngressServer(new Router(table), {
    endpoints: staticEndpoints({ 'default/b:80': [{ address: '127.0.0.1', port: backendPort }] }),
  });
  port = await listen(proxy);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
  await close(proxy);
});

describe('reused keep-alive connection reset by the backend', () => {
  it('an idempotent request is retried on a fresh connection to the same (only) endpoint', async () => {
    expect((await fetchVia(port, '/one')).body).toBe('ok');
    const second = await fetchVia(port, '/two');
    expect([second.status, second.body]).toEqual([200, 'ok']);
    expect(resets).toBe(1);
    expect(connections).toBe(2);
  });

  it('a POST with a body is not replayed: 502', async () => {
    // Requests with a body take the general handler, whose pool is separate from the fast
    // path's: the first POST leaves it a kept-alive connection, the second one reuses it.
    expect((await fetchVia(port, '/post', { method: 'POST', body: 'data' })).status).toBe(200);
    const r = await fetchVia(port, '/post', { method: 'POST', body: 'data' });
    expect(r.status).toBe(502);
    expect(resets).toBe(2);
  });
});
