import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@switchyard/kube';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthCheckServers } from '../src/health-check-servers.js';

let servers: HealthCheckServers | undefined;
afterEach(async () => {
  await servers?.close();
});

/** A port that was free a moment ago (the kernel hands out another one next time). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const check = (nodePort: number, localEndpoints: number) => ({
  namespace: 'default',
  name: 'web',
  nodePort,
  localEndpoints,
});

describe('HealthCheckServers', () => {
  it('answers 503 without local endpoints, 200 with them, and closes removed ports', async () => {
    servers = new HealthCheckServers('127.0.0.1', silentLogger);
    const port = await freePort();
    await servers.update([check(port, 0)]);
    let r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({
      service: { namespace: 'default', name: 'web' },
      localEndpoints: 0,
    });
    await servers.update([check(port, 2)]);
    r = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-load-balancing-endpoint-weight')).toBe('2');
    expect(((await r.json()) as { localEndpoints: number }).localEndpoints).toBe(2);
    expect(servers.ports).toEqual([port]);
    await servers.update([]);
    expect(servers.ports).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('skips a port in use without failing the others, and takes it once it is free', async () => {
    servers = new HealthCheckServers('127.0.0.1', silentLogger);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as AddressInfo).port;
    const other = await freePort();
    await servers.update([check(taken, 1), check(other, 1)]);
    expect(servers.ports).toEqual([other]);
    expect((await fetch(`http://127.0.0.1:${other}/`)).status).toBe(200);
    await new Promise((r) => busy.close(r));
    await servers.update([check(taken, 1), check(other, 1)]);
    expect(servers.ports.sort()).toEqual([taken, other].sort());
    expect((await fetch(`http://127.0.0.1:${taken}/`)).status).toBe(200);
  });
});
