import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, startHealthServer } from '../src/health-server.js';
import { Registry } from '../src/metrics.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string; allow?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server!.url}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body,
          ...(res.headers.allow ? { allow: res.headers.allow } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHealthServer', () => {
  it('answers /healthz and /readyz from their checks, listing failures like the apiserver', async () => {
    let ready = false;
    server = await startHealthServer({
      liveness: { loop: () => true },
      readiness: { 'informer/pods': () => ready, leader: async () => true },
    });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toBe(
      '[-]informer/pods failed: not ready\n[+]leader ok\nreadyz check failed\n',
    );
    ready = true;
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await get('/readyz?verbose')).body).toBe(
      '[+]informer/pods ok\n[+]leader ok\nreadyz check passed\n',
    );
  });

  it('fails a check that throws or does not answer in time, and keeps serving', async () => {
    server = await startHealthServer({
      checkTimeoutMs: 100,
      readiness: {
        throws: () => {
          throw new Error('cache broken');
        },
        hangs: () => new Promise<boolean>(() => undefined),
      },
    });
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toContain('[-]throws failed: cache broken');
    expect(r.body).toContain('[-]hangs failed: no answer within 100 ms');
    expect((await get('/healthz')).status).toBe(200);
  });

  it('serves the registry as Prometheus text 0.0.4', async () => {
    const registry = new Registry();
    registry.counter('x_total', 'X.').inc();
    server = await startHealthServer({ registry });
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toBe('# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n');
  });

  it('answers HEAD without a body, 405 for other methods and 404 for other paths', async () => {
    server = await startHealthServer();
    expect(await get('/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get('/healthz', 'POST')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    expect((await get('/nope')).status).toBe(404);
  });
});
