import { afterAll, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type HttpEndpoint } from '../src/http-endpoint.js';

const open: HttpEndpoint[] = [];
afterAll(async () => {
  for (const e of open) await e.close();
});

describe('startHttpEndpoint', () => {
  it('serves its one path with the reply of the moment; 404, 405 and 500 otherwise', async () => {
    let ready = false;
    const ep = await startHttpEndpoint('127.0.0.1', 0, '/ready', () => {
      return ready ? { status: 200, body: 'OK' } : { status: 503, body: 'waiting\n' };
    });
    open.push(ep);
    const url = `http://127.0.0.1:${ep.port}`;
    let r = await fetch(`${url}/ready`);
    expect([r.status, await r.text()]).toEqual([503, 'waiting\n']);
    ready = true;
    r = await fetch(`${url}/ready`);
    expect([r.status, await r.text()]).toEqual([200, 'OK']);
    expect((await fetch(`${url}/health`)).status).toBe(404);
    r = await fetch(`${url}/ready`, { method: 'POST' });
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

    const broken = await startHttpEndpoint('127.0.0.1', 0, '/metrics', () => {
      throw new Error('render failed');
    });
    open.push(broken);
    r = await fetch(`http://127.0.0.1:${broken.port}/metrics`);
    expect([r.status, await r.text()]).toEqual([500, 'Error: render failed\n']);
  });

  it('fails to start on a port in use', async () => {
    const a = await startHttpEndpoint('127.0.0.1', 0, '/health', () => ({
      status: 200,
      body: 'OK',
    }));
    open.push(a);
    await expect(
      startHttpEndpoint('127.0.0.1', a.port, '/health', () => ({ status: 200, body: 'OK' })),
    ).rejects.toThrow('EADDRINUSE');
  });
});
