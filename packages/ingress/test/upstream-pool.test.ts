import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamPool, type UpstreamConnection, type UpstreamUser } from '../src/upstream-pool.js';

let server: Server;
let port: number;
const open = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  server = createServer((s) => {
    accepted++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Acquires a connection and waits until it is connected. */
async function connected(pool: UpstreamPool): Promise<UpstreamConnection> {
  let conn: UpstreamConnection | undefined;
  await new Promise<void>((resolve, reject) => {
    const user: UpstreamUser = {
      onConnect: () => resolve(),
      onData: () => undefined,
      onTimeout: () => reject(new Error('timeout')),
      onClosed: (e) => reject(e ?? new Error('closed')),
    };
    conn = pool.acquire({ address: '127.0.0.1', port }, user, 1000);
    if (conn.connected) resolve();
  });
  return conn as UpstreamConnection;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('UpstreamPool', () => {
  it('reuses a released connection, most recent first, and closes it once idle too long', async () => {
    const pool = new UpstreamPool(300);
    const before = accepted;
    const a = await connected(pool);
    pool.release(a);
    const again = await connected(pool);
    expect([again, again.reused, accepted - before]).toEqual([a, true, 1]);
    pool.release(again);
    await sleep(600);
    expect(a.socket.destroyed).toBe(true);
    const fresh = await connected(pool);
    expect([fresh === a, fresh.reused, accepted - before]).toEqual([false, false, 2]);
    pool.closeIdle();
    fresh.socket.destroy();
  });

  it('a connection that receives bytes while idle is closed, not handed out', async () => {
    const pool = new UpstreamPool();
    const before = accepted;
    const a = await connected(pool);
    pool.release(a);
    await sleep(20);
    const serverSide = [...open].at(-1);
    serverSide?.write('HTTP/1.1 200 OK\r\n\r\n');
    await sleep(100);
    expect(a.socket.destroyed).toBe(true);
    const b = await connected(pool);
    expect([b === a, accepted - before]).toEqual([false, 2]);
    b.socket.destroy();
  });
});
