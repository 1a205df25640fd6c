import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoServer, startEchoServer } from '../src/images/echo-server.js';

let server: EchoServer;
let port: number;

/** A port that is free for TCP right now (the echo server binds TCP and UDP on it). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  port = await freePort();
  server = await startEchoServer({
    ports: [port],
    host: '127.0.0.1',
    hostname: 'echo-abc',
    pod: 'echo-abc',
    namespace: 'shop',
  });
});
afterAll(() => server.close());

describe('switchyard/echo', () => {
  it('answers agnhost netexec paths', async () => {
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/hostname`)).text()).toBe('echo-abc');
    expect(await (await fetch(`${base}/echo?msg=hi%20there`)).text()).toBe('hi there');
    expect(await (await fetch(`${base}/clientip`)).text()).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('answers any other path with the Gateway API echo JSON', async () => {
    // fetch() may not set Host, so this one goes through node:http.
    const { headers, body: raw } = await new Promise<{
      headers: Record<string, unknown>;
      body: string;
    }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/some/path?q=1',
          headers: { 'x-custom': 'v1', host: 'shop.example' },
        },
        (res) => {
          let data = '';
          res.on('data', (d: Buffer) => (data += d.toString()));
          res.on('end', () => resolve({ headers: res.headers, body: data }));
        },
      );
      req.on('error', reject);
      req.end('data');
    });
    expect(headers['content-type']).toBe('application/json');
    const body = JSON.parse(raw) as Record<string, unknown>;
    expect(body).toMatchObject({
      path: '/some/path?q=1',
      host: 'shop.example',
      method: 'POST',
      proto: 'HTTP/1.1',
      namespace: 'shop',
      pod: 'echo-abc',
    });
    expect((body.headers as Record<string, string[]>)['X-Custom']).toEqual(['v1']);
  });

  it('echoes raw TCP that is not HTTP', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('ping over tcp\n'));
      s.on('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(reply).toBe('ping over tcp\n');
  });

  it('echoes UDP and answers netexec UDP commands', async () => {
    const ask = (msg: string): Promise<string> =>
      new Promise((resolve) => {
        const s = createSocket('udp4');
        s.on('message', (m) => {
          resolve(m.toString());
          s.close();
        });
        s.send(msg, port, '127.0.0.1');
      });
    expect(await ask('raw bytes')).toBe('raw bytes');
    expect(await ask('hostname')).toBe('echo-abc');
    expect(await ask('echo hello')).toBe('hello');
  });
});
