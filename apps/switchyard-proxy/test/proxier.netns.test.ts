// The Proxier against a real kernel: a node namespace with three local endpoint addresses on a
// veth, echo servers on them, and clients in the same namespace reaching them through the
// ClusterIP (nat output hook). Proves the sync loop around @switchyard/proxy-rules: bounded
// partial syncs, the table check repairing a hand-flushed table, the fall-back to a full
// replacement when a partial transaction fails, UDP conntrack cleanup, health-check node ports,
// and that endpoint changes and the table check go over netlink: no `nft` process for them.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@switchyard/kube';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, NftNetlink, createNetns, sweepStaleNetns } from '@switchyard/linux';
import type { EndpointSlice, Service } from '@switchyard/proxy-rules';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteTable,
  tableIntact,
  tableInventory,
  tableState,
  tableStateOverNetlink,
} from '../src/nft-table.js';
import { Proxier } from '../src/proxier.js';
import { TRIGGER_TIME_ANNOTATION } from '../src/programming-latency.js';

const TABLE = 'switchyard-proxy';
const NODE = 'node-a';
const CIP = '10.96.77.10';
const EP = ['10.77.0.2', '10.77.0.3'] as const;
const fixture = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

let ns: Netns;
let proxier: Proxier | undefined;
// Every command the proxier runs goes through a wrapper that logs it here first.
const commandLog = join(tmpdir(), `proxier-netns-test-${process.pid}.log`);

/** The `nft` processes the proxier started so far, by subcommand (`-f`, `list`, ...). */
function nftRuns(subcommand: string): number {
  let text: string;
  try {
    text = readFileSync(commandLog, 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((l) => l.includes(` nft ${subcommand}`)).length;
}

beforeAll(async () => {
  await sweepStaleNetns();
  ns = await createNetns('proxy');
  for (const cmd of [
    'ip link add eth0 type veth peer name peer0',
    'ip addr add 10.77.0.1/24 dev eth0',
    `ip addr add ${EP[0]}/24 dev eth0`,
    `ip addr add ${EP[1]}/24 dev eth0`,
    'ip link set peer0 up',
    'ip link set eth0 up',
    'ip route add 10.96.0.0/16 dev eth0',
  ]) {
    await ns.exec(cmd.split(' '));
  }
  ns.spawn([process.execPath, fixture('echo.mjs'), 'ep1', EP[0], '8080']);
  ns.spawn([process.execPath, fixture('echo.mjs'), 'ep2', EP[1], '8080']);
  await eventually(async () => (await client('tcp', EP[1], 8080)) === 'ep2');
});

afterAll(async () => {
  await proxier?.stop();
  await ns?.delete();
  rmSync(commandLog, { force: true });
});

async function client(
  proto: 'tcp' | 'udp',
  ip: string,
  port: number,
  sport?: number,
): Promise<string> {
  const argv = [process.execPath, fixture('client.mjs'), proto, ip, String(port)];
  if (sport !== undefined) argv.push(String(sport));
  return (await ns.exec(argv)).stdout;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function service(name: string, spec: Partial<Service['spec']> = {}): Service {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      clusterIP: CIP,
      ports: [
        { name: 'tcp', port: 80, protocol: 'TCP' },
        { name: 'udp', port: 53, protocol: 'UDP' },
      ],
      ...spec,
    },
  };
}

function slice(svc: string, ips: readonly string[], trigger?: string): EndpointSlice {
  return {
    metadata: {
      name: `${svc}-1`,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': svc },
      ...(trigger ? { annotations: { [TRIGGER_TIME_ANNOTATION]: trigger } } : {}),
    },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: NODE })),
    ports: [
      { name: 'tcp', port: 8080, protocol: 'TCP' },
      { name: 'udp', port: 8080, protocol: 'UDP' },
    ],
  };
}

/** The value of one series in the Prometheus text, 0 when absent. */
function metric(name: string, labels = ''): number {
  const text = proxier!.metrics.render();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('Proxier in a node namespace', () => {
  it('becomes ready after the first full sync and serves the ClusterIP', async () => {
    proxier = new Proxier({
      node: { name: NODE, addresses: ['10.77.0.1'], clusterCIDRs: ['10.77.0.0/24'] },
      table: TABLE,
      masqueradeBit: 14,
      minSyncPeriodMs: 200,
      syncPeriodMs: 1000,
      fullSyncPeriodMs: 3_600_000,
      healthCheckHost: '127.0.0.1',
      logger: silentLogger,
      commandPrefix: [
        'sh',
        '-c',
        'printf "%s\\n" "$*" >> "$0"; exec "$@"',
        commandLog,
        ...['ip', 'netns', 'exec', ns.name],
      ],
      netns: ns,
    });
    proxier.upsertService(service('web'));
    proxier.upsertEndpointSlice(slice('web', [EP[0]]), true);
    expect(proxier.ready).toBe(false);
    proxier.start();
    await eventually(async () => proxier!.ready);
    // Read before the client runs: periodic (empty) syncs follow every second.
    const syncs = metric('switchyard_proxy_sync_proxy_rules_duration_seconds_count');
    expect(metric('switchyard_proxy_syncs_total', '{kind="full",result="success"}')).toBe(1);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(metric('switchyard_proxy_service_ports')).toBe(2);
    expect(await tableIntact(TABLE, ['ip', 'netns', 'exec', ns.name])).toBe(true);
    expect(await client('tcp', CIP, 80)).toBe('ep1');
    expect(proxier.healthy).toBe(true);
    // The full sync ran nft (with the inventory listings before it).
    expect(nftRuns('-f')).toBe(1);
  });

  it('folds a burst of endpoint changes into few partial syncs and times their programming', async () => {
    const before = metric('switchyard_proxy_syncs_total', '{kind="partial",result="success"}');
    const nftBefore = nftRuns('-f');
    const trigger = new Date().toISOString();
    for (let i = 0; i < 20; i++) {
      proxier!.upsertEndpointSlice(slice('web', [EP[i % 2]!], i === 19 ? trigger : undefined));
    }
    // The last state wins: ep2 only.
    await eventually(async () => (await client('tcp', CIP, 80)) === 'ep2');
    const partial =
      metric('switchyard_proxy_syncs_total', '{kind="partial",result="success"}') - before;
    expect(partial).toBeGreaterThanOrEqual(1);
    expect(partial).toBeLessThanOrEqual(2);
    expect(metric('switchyard_proxy_network_programming_duration_seconds_count')).toBe(1);
    expect(metric('switchyard_proxy_network_programming_duration_seconds_sum')).toBeLessThan(30);
    // Endpoint changes are element changes only: they went over netlink, no nft process ran.
    expect(nftRuns('-f')).toBe(nftBefore);
  });

  it('deletes stale UDP conntrack entries so a client moves off a removed endpoint', async () => {
    proxier!.upsertEndpointSlice(slice('web', [EP[0]]));
    await eventually(async () => (await client('tcp', CIP, 80)) === 'ep1');
    // The same source port each time: one conntrack entry, as a long-lived UDP client has.
    expect(await client('udp', CIP, 53, 40053)).toBe('ep1');
    expect(await client('udp', CIP, 53, 40053)).toBe('ep1');
    proxier!.upsertEndpointSlice(slice('web', [EP[1]]));
    // ep1's server still answers: only the conntrack deletion can move the client.
    await eventually(async () => (await client('udp', CIP, 53, 40053)) === 'ep2');
    expect(
      metric('switchyard_proxy_conntrack_cleanups_total', '{deleted="true"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('puts back a table flushed by hand within a sync period', async () => {
    const repairs = metric('switchyard_proxy_table_repairs_total', '{reason="check"}');
    // The check runs every second beside the syncs, so look at the kernel, not at a client
    // that waits seconds for a reply: the rules are gone, then back.
    await ns.exec(['nft', 'flush', 'table', 'inet', TABLE]);
    const chain = ['nft', 'list', 'chain', 'inet', TABLE, 'nat-prerouting'];
    expect((await ns.exec(chain)).stdout).not.toContain('jump services');
    await eventually(async () => (await client('tcp', CIP, 80)) === 'ep2', 5000);
    expect((await ns.exec(chain)).stdout).toContain('jump services');
    expect(metric('switchyard_proxy_table_repairs_total', '{reason="check"}')).toBe(repairs + 1);
    // The check reads the chain over netlink: the proxier never ran `nft list chain`.
    expect(nftRuns('list chain')).toBe(0);
  });

  it('replaces the whole table when a partial transaction fails', async () => {
    proxier!.upsertService(service('other', { clusterIP: '10.96.77.12' }));
    proxier!.upsertEndpointSlice(slice('other', [EP[0]]));
    await eventually(async () => (await client('tcp', '10.96.77.12', 80)) === 'ep1');
    // By hand: both services lose their TCP dispatch element. Deleting `other` next makes the
    // partial transaction delete an element that is gone, which nft refuses as a whole.
    for (const ip of [CIP, '10.96.77.12']) {
      await ns.exec([
        'nft',
        'delete',
        'element',
        'inet',
        TABLE,
        'service-ips-v4',
        `{ ${ip} . tcp . 80 }`,
      ]);
    }
    expect(await client('tcp', CIP, 80)).not.toMatch(/^ep/);
    proxier!.deleteService('default', 'other');
    await eventually(async () => (await client('tcp', CIP, 80)) === 'ep2');
    expect(metric('switchyard_proxy_table_repairs_total', '{reason="transaction"}')).toBe(1);
    expect(await client('tcp', '10.96.77.12', 80)).not.toMatch(/^ep/);
  });

  it('serves the healthCheckNodePort of an externalTrafficPolicy Local service', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    proxier!.upsertService(
      service('lb', {
        clusterIP: '10.96.77.11',
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: port,
        ports: [{ name: 'tcp', port: 80, protocol: 'TCP', nodePort: 30777 }],
      }),
    );
    proxier!.upsertEndpointSlice(slice('lb', [EP[0]]));
    await eventually(async () => proxier!.healthCheckPorts.includes(port));
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { localEndpoints: number }).localEndpoints).toBe(1);
    proxier!.deleteService('default', 'lb');
    await eventually(async () => !proxier!.healthCheckPorts.includes(port));
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    expect(await client('tcp', '10.77.0.1', 30777)).not.toBe('ep1');
  });

  it('leaves the table in place on stop; deleteTable removes ours only', async () => {
    await proxier!.stop();
    expect(await client('tcp', CIP, 80)).toBe('ep2');
    await ns.exec(['nft', 'add', 'table', 'inet', 'someone-else']);
    const prefix = ['ip', 'netns', 'exec', ns.name];
    expect(await tableState(TABLE, prefix)).toBe('intact');
    // What a full sync reads to keep affinity sets: names from our table only.
    const inventory = await tableInventory(TABLE, prefix);
    expect(inventory.chains).toContain('services');
    expect(inventory.maps).toContain('endpoints-v4');
    expect([...inventory.sets.keys()]).toContain('hairpin-v4');
    // An nft killed before it answered (a loaded machine) is no verdict: no full sync for it.
    expect(await tableState(TABLE, ['timeout', '-s', 'KILL', '0.001', ...prefix])).toBe('unknown');
    const nl = NftNetlink.open({ netns: ns });
    try {
      expect(await tableStateOverNetlink(nl, TABLE)).toBe('intact');
      await ns.exec(['nft', 'flush', 'chain', 'inet', TABLE, 'nat-prerouting']);
      expect(await tableStateOverNetlink(nl, TABLE)).toBe('damaged');
      await deleteTable(TABLE, prefix);
      expect(await tableStateOverNetlink(nl, TABLE)).toBe('damaged');
    } finally {
      nl.close();
    }
    expect(await tableStateOverNetlink(nl, TABLE)).toBe('unknown');
    expect(await tableState(TABLE, prefix)).toBe('damaged');
    await deleteTable(TABLE, prefix); // already gone: still fine
    const tables = (await ns.exec(['nft', 'list', 'tables'])).stdout;
    expect(tables).toContain('table inet someone-else');
    expect(tables).not.toContain(TABLE);
  });
});
