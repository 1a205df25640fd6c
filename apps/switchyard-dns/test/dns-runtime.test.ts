// The config-dependent DNS parts swapped under running sockets: answers follow the new zone, TTL,
// pods mode and upstreams; a config that cannot be built changes nothing.
import { Resolver as NodeResolver } from 'node:dns/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsServer } from '@switchyard/dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBEADM_DEFAULTS, type DnsConfig } from '../src/dns-config.js';
import { DnsRuntime } from '../src/dns-runtime.js';

const quiet = (): void => undefined;
const base: DnsConfig = { ...KUBEADM_DEFAULTS, forward: undefined, loadBalance: false };

/** A DnsRuntime serving on an ephemeral loopback port, its zone holding one service. */
async function serve(config: DnsConfig, ns: string, ip: string): Promise<[DnsRuntime, DnsServer]> {
  const rt = await DnsRuntime.create(config, {
    host: '127.0.0.1',
    port: 0,
    nameserverIps: [],
    log: quiet,
  });
  rt.zone.upsertService({
    metadata: { namespace: ns, name: 'web' },
    spec: { clusterIPs: [ip], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  rt.zone.markSynced();
  const server = await startDnsServer({ handler: rt.handler, host: '127.0.0.1', port: 0 });
  return [rt, server];
}

let upstream: DnsServer;
let runtime: DnsRuntime;
let server: DnsServer;
let dir: string;
let client: NodeResolver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sydns-'));
  // The upstream is another zone's server: names under upstream.test exist only there.
  [, upstream] = await serve({ ...base, zone: 'upstream.test' }, 'far', '10.1.0.9');
  [runtime, server] = await serve(base, 'default', '10.96.0.20');
  client = new NodeResolver({ timeout: 2000, tries: 1 });
  client.setServers([`127.0.0.1:${server.port}`]);
});

afterAll(async () => {
  await server?.close();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const code = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: NodeJS.ErrnoException) => e.code ?? String(e),
  );

describe('DnsRuntime', () => {
  it('answers with the TTL in force and switches TTL and zone on apply', async () => {
    expect(await client.resolve4('web.default.svc.cluster.local', { ttl: true })).toEqual([
      { address: '10.96.0.20', ttl: 30 },
    ]);
    await runtime.apply({ ...base, zone: 'corp.internal', ttl: 7 });
    expect(await client.resolve4('web.default.svc.corp.internal', { ttl: true })).toEqual([
      { address: '10.96.0.20', ttl: 7 },
    ]);
    // The old zone is no longer ours, and with no forwarder names outside it are refused.
    expect(await code(client.resolve4('web.default.svc.cluster.local'))).toBe('EREFUSED');
    await runtime.apply(base);
  });

  it('switches pods mode', async () => {
    expect(await client.resolve4('10-244-1-5.default.pod.cluster.local')).toEqual(['10.244.1.5']);
    await runtime.apply({ ...base, podMode: 'disabled' });
    expect(await code(client.resolve4('10-244-1-5.default.pod.cluster.local'))).toBe('ENOTFOUND');
    await runtime.apply(base);
  });

  it('forwards to the upstreams in force; a resolv.conf that cannot be read keeps them', async () => {
    expect(await code(client.resolve4('web.far.svc.upstream.test'))).toBe('EREFUSED');
    await runtime.apply({
      ...base,
      forward: { upstreams: [{ host: '127.0.0.1', port: upstream.port }] },
    });
    expect(await client.resolve4('web.far.svc.upstream.test')).toEqual(['10.1.0.9']);

    await expect(
      runtime.apply({ ...base, forward: { resolvConf: join(dir, 'missing') } }),
    ).rejects.toThrow();
    expect(runtime.config.forward).toEqual({
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
    });
    expect(await client.resolve4('web.far.svc.upstream.test')).toEqual(['10.1.0.9']);
  });

  it('keeps the running config when the new one is invalid', async () => {
    await expect(runtime.apply({ ...base, ttl: -1 })).rejects.toThrow('ttl');
    await expect(runtime.apply({ ...base, zone: '.' })).rejects.toThrow('zone');
    expect(runtime.config.ttl).toBe(30);
    expect(await client.resolve4('web.default.svc.cluster.local', { ttl: true })).toEqual([
      { address: '10.96.0.20', ttl: 30 },
    ]);
  });

  it('drops an upstream that is the server itself', async () => {
    const logs: string[] = [];
    const rt = await DnsRuntime.create(
      { ...base, forward: { upstreams: [{ host: '127.0.0.1', port: 1053 }] } },
      { host: '0.0.0.0', port: 1053, nameserverIps: [], log: (_l, msg) => logs.push(msg) },
    );
    expect(rt.config.forward).toBeDefined();
    expect(logs).toContain('dropping an upstream that is this server itself');
    expect(logs).toContain('no usable upstream nameservers: names outside the zone are REFUSED');
  });
});
