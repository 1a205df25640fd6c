import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { staticEndpoints } from '../src/endpoints.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute } from './fixtures.js';
import { close, listen } from './harness.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const accept = (key: string): string =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64');

let backend: Server, proxy: Server, port: number;
const seenPaths: string[] = [];
const backendSockets = new Set<Duplex>();

beforeAll(async () => {
  // A minimal WebSocket-style backend: completes the handshake, then echoes bytes upper-cased.
  backend = createServer((_req, res) => res.writeHead(426).end('upgrade required'));
  backend.on('upgrade', (req, socket) => {
    seenPaths.push(req.url ?? '');
    backendSockets.add(socket);
    // Like real WebSocket servers: the peer's FIN ends the connection.
    socket.on('end', () => socket.end());
    socket.on('close', () => backendSockets.delete(socket));
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno');
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
  });
  const backendPort = await listen(backend);
  const tmp = createServer();
  const deadPort = await listen(tmp);
  await close(tmp);
  const compiled = compileHttpRoutes([
    httpRoute('ws', {
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/ws' } }],
          backendRefs: [{ name: 'ws', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/refuse' } }],
          backendRefs: [{ name: 'ws', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/empty' } }],
          backendRefs: [{ name: 'empty', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/dead' } }],
          backendRefs: [{ name: 'dead', port: 80 }],
        },
      ],
    }),
  ]);
  proxy = createIngressServer(new Router(new RouteTable(compiled.routes)), {
    endpoints: staticEndpoints({
      'default/ws:80': [{ address: '127.0.0.1', port: backendPort }],
      'default/dead:80': [{ address: '127.0.0.1', port: deadPort }],
    }),
  });
  port = await listen(proxy);
});

afterAll(async () => {
  for (const s of backendSockets) s.destroy();
  await close(proxy, backend);
});

function handshake(path: string): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = '';
    socket.on('error', reject);
    socket.on('data', function onData(d: Buffer) {
      buf += d.toString();
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve({ socket, head: buf });
      }
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

describe('WebSocket upgrade', () => {
  it('relays the 101 handshake and then bytes in both directions', async () => {
    const { socket, head } = await handshake('/ws/chat');
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    expect(head).toContain(`Sec-WebSocket-Accept: ${accept('dGhlIHNhbXBsZSBub25jZQ==')}`);
    const echoed = await new Promise<string>((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.write('hello through the proxy');
    });
    expect(echoed).toBe('HELLO THROUGH THE PROXY');
    expect(backendSockets.size).toBe(1);
    socket.destroy();
    expect(seenPaths).toContain('/ws/chat');
    // The proxy closes its side to the backend when the client goes away.
    await expect.poll(() => backendSockets.size).toBe(0);
  });

  it('a refused upgrade is relayed; no route 404, no endpoints 503, connect failure 502', async () => {
    const refused = await handshake('/refuse');
    expect(refused.head).toMatch(/^HTTP\/1\.1 403/);
    refused.socket.destroy();
    const none = await handshake('/nothing');
    expect(none.head).toMatch(/^HTTP\/1\.1 404/);
    none.socket.destroy();
    const empty = await handshake('/empty');
    expect(empty.head).toMatch(/^HTTP\/1\.1 503/);
    empty.socket.destroy();
    const dead = await handshake('/dead');
    expect(dead.head).toMatch(/^HTTP\/1\.1 502/);
    dead.socket.destroy();
  });
});
