import { type Netns, sweepStaleNetns } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import type { Family } from '../src/ip.js';
import { iptablesHooks, renderIptablesRestore } from '../src/iptables-render.js';
import type { Service } from '../src/model.js';
import { ep, model, service, slice } from './fixtures.js';
import {
  ADDR,
  type Topology,
  buildTopology,
  connect,
  expectLbSourceRanges,
  startEcho,
} from './topology.js';

// The iptables backend loaded with iptables-restore/ip6tables-restore in a node namespace,
// proven with real connections through the same topology as the nftables tests.

const CIP = '10.96.0.10';
const CIP6 = 'fd00:96::10';
const EP1 = ep(ADDR.ep1, { node: 'node-a' });
const EP2 = ep(ADDR.ep2, { node: 'node-b' });

let topo: Topology;
const loaded: Record<Family, string[]> = { ipv4: [], ipv6: [] };

beforeAll(async () => {
  await sweepStaleNetns();
  topo = await buildTopology();
  await startEcho(topo.ep1, 'ep1', 8080);
  await startEcho(topo.ep2, 'ep2', 8080);
  // Our chains must exist before the built-in chains can jump to them.
  await apply([], []);
  for (const bin of ['iptables', 'ip6tables']) {
    for (const h of iptablesHooks())
      await topo.node.exec([bin, '-t', h.table, '-I', h.chain, ...h.rule]);
  }
});

afterAll(async () => {
  await Promise.all((topo?.all ?? []).map((ns) => ns.delete()));
});

async function restore(ns: Netns, family: Family, text: string): Promise<void> {
  await ns.exec([family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore', '--noflush'], {
    input: text,
  });
}

async function apply(services: Service[], slices: ReturnType<typeof slice>[]): Promise<void> {
  const compiled = compile(model(services, slices, topo.nodeInfo));
  for (const family of ['ipv4', 'ipv6'] as const) {
    const r = renderIptablesRestore(compiled, family, loaded[family]);
    await restore(topo.node, family, r.text);
    loaded[family] = r.chains;
  }
}

const np = (extra: Partial<Service['spec']> = {}): Service =>
  service('np', {
    type: 'NodePort',
    clusterIP: CIP,
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    ...extra,
  });

describe('iptables-restore backend', () => {
  it('ClusterIP spreads over both endpoints (statistic random) and keeps the pod source', async () => {
    await apply([np()], [slice('np', [EP1, EP2])]);
    const replies = await connect(topo.client, CIP, 80, 'tcp', 20);
    expect(new Set(replies)).toEqual(new Set([`ep1 ${ADDR.client}`, `ep2 ${ADDR.client}`]));
  });

  it('NodePort from outside is masqueraded under policy Cluster, not under Local', async () => {
    await apply([np()], [slice('np', [EP2])]);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['ep2 10.244.2.1']);
    await apply([np({ externalTrafficPolicy: 'Local' })], [slice('np', [EP1, EP2])]);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080, 'tcp', 3)).toEqual(
      Array(3).fill(`ep1 ${ADDR.outside}`),
    );
  });

  it('IPv6 through ip6tables-restore: ClusterIP and NodePort', async () => {
    const ds = np({ clusterIPs: [CIP, CIP6] });
    await apply(
      [ds],
      [slice('np', [EP1]), slice('np', [ep(ADDR.ep2v6, { node: 'node-b' })], { family: 'IPv6' })],
    );
    expect(await connect(topo.client, CIP6, 80)).toEqual([`ep2 ${ADDR.clientV6}`]);
    expect(await connect(topo.outside, ADDR.nodeExternalV6, 30080)).toEqual(['ep2 fd00:244:2::1']);
  });

  it('no endpoints: connection refused', async () => {
    await apply([np()], []);
    expect(await connect(topo.client, CIP, 80)).toEqual(['ECONNREFUSED']);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['ECONNREFUSED']);
  });

  it('ClientIP affinity sticks (recent module)', async () => {
    await apply([np({ sessionAffinity: 'ClientIP' })], [slice('np', [EP1, EP2])]);
    expect(new Set(await connect(topo.client, CIP, 80, 'tcp', 10)).size).toBe(1);
  });

  it('LoadBalancer ingress IP: allowed source ranges reach an endpoint, others are dropped', async () => {
    await expectLbSourceRanges(topo, apply, CIP);
  });

  it('removing a service deletes its chains', async () => {
    await apply([np()], [slice('np', [EP1, EP2])]);
    const before = (await topo.node.exec(['iptables-save', '-t', 'nat'])).stdout;
    expect(before.match(/^:SY-SEP-/gm)).toHaveLength(2);
    await apply([], []);
    const after = (await topo.node.exec(['iptables-save', '-t', 'nat'])).stdout;
    expect(after).not.toMatch(/SY-SEP-|SY-SVC-|SY-EXT-/);
    expect(after).toContain(':SY-SERVICES');
    expect(await connect(topo.client, CIP, 80)).not.toEqual([`ep1 ${ADDR.client}`]);
  });
});
