import { type Server, createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeRunner, resolvePort, runProbe } from '../src/node-runtime/probes.js';

let server: Server;
let port: number;
let healthy = true;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    res.writeHead(req.url === '/healthz' && healthy ? 200 : 503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const target = () => ({
  podIP: '127.0.0.1',
  netns: 'unused',
  ports: [{ name: 'http', containerPort: port }],
});

async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

describe('probes', () => {
  it('httpGet succeeds on 2xx/3xx and fails otherwise, by port number or name', async () => {
    expect(await runProbe({ httpGet: { path: '/healthz', port: 'http' } }, target())).toEqual({
      ok: true,
      message: 'HTTP 200',
    });
    expect(await runProbe({ httpGet: { path: '/other', port } }, target())).toEqual({
      ok: false,
      message: 'HTTP 503',
    });
    expect(
      (await runProbe({ httpGet: { path: '/slow', port }, timeoutSeconds: 0.2 }, target())).ok,
    ).toBe(false);
    expect(await runProbe({ httpGet: { path: '/', port: 'nope' } }, target())).toEqual({
      ok: false,
      message: 'unknown port nope',
    });
  });

  it('tcpSocket succeeds when something accepts', async () => {
    expect((await runProbe({ tcpSocket: { port } }, target())).ok).toBe(true);
    expect((await runProbe({ tcpSocket: { port: await closedPort() } }, target())).ok).toBe(false);
  });

  it('resolvePort takes numbers, numeric strings and names', () => {
    expect(resolvePort(80, [])).toBe(80);
    expect(resolvePort('8080', [])).toBe(8080);
    expect(resolvePort('http', [{ name: 'http', containerPort: 9000 }])).toBe(9000);
    expect(resolvePort('x', [])).toBeUndefined();
  });

  it('a runner flips after the thresholds, in both directions', async () => {
    healthy = true;
    const flips: boolean[] = [];
    const failing: string[] = [];
    // Fractional periods are not valid in the API, but keep this test fast.
    const runner = new ProbeRunner(
      {
        httpGet: { path: '/healthz', port },
        periodSeconds: 0.02,
        failureThreshold: 2,
        successThreshold: 2,
      },
      target,
      false,
      (h) => flips.push(h),
      (message) => failing.push(message),
    );
    runner.start();
    await waitUntil(() => runner.healthy);
    healthy = false;
    await waitUntil(() => !runner.healthy);
    runner.stop();
    expect(flips).toEqual([true, false]);
    // Reported once the failures in a row reach the threshold (2), not on every failure.
    expect(failing[0]).toBe('HTTP 503');
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
