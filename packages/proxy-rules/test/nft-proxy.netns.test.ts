import { sweepStaleNetns } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { conntrackCleanup } from '../src/conntrack-cleanup.js';
import type { Service } from '../src/model.js';
import {
  parseTableInventory,
  renderDeleteTable,
  tableInventoryCommands,
} from '../src/nft-render.js';
import { NftSyncer } from '../src/nft-syncer.js';
import { ProxyRules } from '../src/proxy-state.js';
import { ep, model, service, slice } from './fixtures.js';
import {
  ADDR,
  type Topology,
  buildTopology,
  connect,
  expectLbSourceRanges,
  nft,
  startEcho,
} from './topology.js';

// Real nftables, real connections: the rules are loaded with `nft -f` in a node namespace and
// clients in other namespaces connect through them to echo servers.

const CIP = '10.96.0.10';
const EP1 = ep(ADDR.ep1, { node: 'node-a' });
const EP2 = ep(ADDR.ep2, { node: 'node-b' });

let topo: Topology;
let syncer: NftSyncer;

beforeAll(async () => {
  await sweepStaleNetns();
  topo = await buildTopology();
  await startEcho(topo.ep1, 'ep1', 8080);
  await startEcho(topo.ep2, 'ep2', 8080);
  syncer = new NftSyncer((text) => nft(topo.node, text));
});

afterAll(async () => {
  await Promise.all((topo?.all ?? []).map((ns) => ns.delete()));
});

/** By hand: the service-ips element of `ip`:80/tcp goes, as an operator's mistake would. */
async function deleteDispatch(ip: string): Promise<void> {
  await nft(
    topo.node,
    `delete element inet switchyard-proxy service-ips-v4 { ${ip} . tcp . 80 }\n`,
  );
}

async function apply(services: Service[], slices: ReturnType<typeof slice>[]): Promise<void> {
  await syncer.sync(compile(model(services, slices, topo.nodeInfo)).ruleset);
}

const nodePortSvc = (policy: 'Cluster' | 'Local'): Service =>
  service('np', {
    type: 'NodePort',
    clusterIP: CIP,
    externalTrafficPolicy: policy,
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
  });

describe('nftables rules in a node namespace', () => {
  it('ClusterIP reaches an endpoint over TCP and UDP, keeping the pod source', async () => {
    await apply(
      [
        service('web', {
          clusterIP: CIP,
          ports: [
            { name: 'http', port: 80 },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
      ],
      [
        slice('web', [EP1]),
        {
          ...slice('web', [EP1], { name: 'dns', protocol: 'UDP' }),
          metadata: {
            name: 'web-udp',
            namespace: 'default',
            labels: { 'kubernetes.io/service-name': 'web' },
          },
        },
      ],
    );
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
    expect(await connect(topo.client, CIP, 53, 'udp')).toEqual([`ep1 ${ADDR.client}`]);
  });

  it('dual-stack: IPv6 ClusterIP and NodePort reach the IPv6 endpoint', async () => {
    const svc = service('ds', {
      type: 'NodePort',
      clusterIP: CIP,
      clusterIPs: [CIP, 'fd00:96::10'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    });
    await apply(
      [svc],
      [slice('ds', [EP1]), slice('ds', [ep(ADDR.ep1v6, { node: 'node-a' })], { family: 'IPv6' })],
    );
    expect(await connect(topo.client, 'fd00:96::10', 80)).toEqual([`ep1 ${ADDR.clientV6}`]);
    expect(await connect(topo.outside, ADDR.nodeExternalV6, 30080)).toEqual(['ep1 fd00:244:1::1']);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
  });

  it('NodePort from outside reaches an endpoint, masqueraded under policy Cluster', async () => {
    await apply([nodePortSvc('Cluster')], [slice('np', [EP2])]);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['ep2 10.244.2.1']);
  });

  it('externalTrafficPolicy Local keeps the client source address', async () => {
    await apply([nodePortSvc('Local')], [slice('np', [EP1, EP2])]);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080, 'tcp', 4)).toEqual(
      Array(4).fill(`ep1 ${ADDR.outside}`),
    );
  });

  it('internalTrafficPolicy Local: only the node-local endpoint, silence (DROP) without one', async () => {
    const itp = service('web', { clusterIP: CIP, internalTrafficPolicy: 'Local' });
    await apply([itp], [slice('web', [EP1, EP2])]);
    expect(new Set(await connect(topo.client, CIP, 80, 'tcp', 6))).toEqual(
      new Set([`ep1 ${ADDR.client}`]),
    );
    await apply([itp], [slice('web', [EP2])]);
    expect(await connect(topo.client, CIP, 80)).toEqual(['TIMEOUT']);
  });

  it('externalTrafficPolicy Local without a local endpoint: outside dropped, pods still served', async () => {
    await apply([nodePortSvc('Local')], [slice('np', [EP2])]);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['TIMEOUT']);
    expect(await connect(topo.client, ADDR.nodeExternal, 30080)).toEqual([`ep2 ${ADDR.client}`]);
  });

  it('terminating endpoints: used only when no endpoint is ready', async () => {
    const terminating = ep(ADDR.ep1, {
      node: 'node-a',
      ready: false,
      serving: true,
      terminating: true,
    });
    await apply([service('web', { clusterIP: CIP })], [slice('web', [terminating])]);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
    await apply([service('web', { clusterIP: CIP })], [slice('web', [terminating, EP2])]);
    expect(new Set(await connect(topo.client, CIP, 80, 'tcp', 6))).toEqual(
      new Set([`ep2 ${ADDR.client}`]),
    );
  });

  it('a service without endpoints refuses connections (REJECT)', async () => {
    await apply([nodePortSvc('Cluster')], [slice('np', [ep(ADDR.ep1, { ready: false })])]);
    expect(await connect(topo.client, CIP, 80)).toEqual(['ECONNREFUSED']);
    expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['ECONNREFUSED']);
  });

  it('ClientIP session affinity sticks to one endpoint; without it both are used', async () => {
    const sticky = service('web', {
      clusterIP: CIP,
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
    });
    await apply([sticky], [slice('web', [EP1, EP2])]);
    const replies = await connect(topo.client, CIP, 80, 'tcp', 12);
    expect(new Set(replies).size).toBe(1);
    await apply([service('web', { clusterIP: CIP })], [slice('web', [EP1, EP2])]);
    const spread = await connect(topo.client, CIP, 80, 'tcp', 20);
    expect(new Set(spread)).toEqual(new Set([`ep1 ${ADDR.client}`, `ep2 ${ADDR.client}`]));
  });

  it('a full resync with the table inventory keeps ClientIP affinity', async () => {
    const sticky = service('web', {
      clusterIP: CIP,
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
    });
    const { ruleset } = compile(model([sticky], [slice('web', [EP1, EP2])], topo.nodeInfo));
    const keeping = new NftSyncer(
      (text) => nft(topo.node, text),
      async () =>
        parseTableInventory(
          ruleset,
          await Promise.all(
            tableInventoryCommands().map(async (argv) => (await topo.node.exec(argv)).stdout),
          ),
        ),
    );
    await keeping.resync(ruleset);
    const [first] = await connect(topo.client, CIP, 80);
    const remembered = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const name of ruleset.affinitySets.keys()) {
        const r = await topo.node.exec(['nft', 'list', 'set', 'inet', 'switchyard-proxy', name]);
        if (r.stdout.includes(ADDR.client)) out.push(name);
      }
      return out;
    };
    const before = await remembered();
    expect(before).toHaveLength(1);
    // Each forced full resync would otherwise forget the client: 1 in 2 to land on the same
    // endpoint again, so six rounds without the set surviving pass 1 time in 64.
    for (let round = 0; round < 6; round++) {
      const result = await keeping.resync(ruleset);
      expect(result.full).toBe(true);
      expect(await remembered()).toEqual(before);
      expect(await connect(topo.client, CIP, 80)).toEqual([first]);
    }
    await syncer.resync(ruleset); // the shared syncer's view of the kernel again
  });

  it('hairpin: an endpoint reaching itself through its service is masqueraded', async () => {
    await apply([service('web', { clusterIP: CIP })], [slice('web', [EP1])]);
    expect(await connect(topo.ep1, CIP, 80)).toEqual([`ep1 ${ADDR.nodeTowardEp1}`]);
  });

  it('an incremental update moves traffic to the new endpoint', async () => {
    await apply([service('web', { clusterIP: CIP })], [slice('web', [EP1])]);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
    const before = compile(
      model([service('web', { clusterIP: CIP })], [slice('web', [EP1])], topo.nodeInfo),
    ).ruleset;
    const next = compile(
      model([service('web', { clusterIP: CIP })], [slice('web', [EP2])], topo.nodeInfo),
    ).ruleset;
    const result = await syncer.sync(next);
    expect(result.full).toBe(false);
    expect(result.recovered).toBe(false);
    expect(result.changed).toEqual(['default/web/tcp/http']);
    expect(result.text).not.toContain('delete table');
    expect(before.chains.size).toBe(next.chains.size);
    expect(await connect(topo.client, CIP, 80, 'tcp', 3)).toEqual(
      Array(3).fill(`ep2 ${ADDR.client}`),
    );
  });

  it('after `nft flush table` by hand, a full resync restores service', async () => {
    const rs = compile(
      model([service('web', { clusterIP: CIP })], [slice('web', [EP1])], topo.nodeInfo),
    ).ruleset;
    await syncer.sync(rs);
    await topo.node.exec(['nft', 'flush', 'table', 'inet', 'switchyard-proxy']);
    expect(await connect(topo.client, CIP, 80)).not.toEqual([`ep1 ${ADDR.client}`]);
    await syncer.resync(rs);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
  });

  it('an incremental sync against a tampered kernel fails over to a full resync', async () => {
    const old = service('old', { clusterIP: '10.96.0.11' });
    const one = compile(
      model(
        [service('web', { clusterIP: CIP }), old],
        [slice('web', [EP1]), slice('old', [EP1])],
        topo.nodeInfo,
      ),
    ).ruleset;
    await syncer.resync(one);
    // By hand: rules flushed (map elements survive a table flush) and one element deleted.
    await topo.node.exec(['nft', 'flush', 'table', 'inet', 'switchyard-proxy']);
    await deleteDispatch('10.96.0.11');
    // Removing `old` deletes that element again: nft fails the whole transaction and the
    // syncer replaces the table instead.
    const two = compile(
      model([service('web', { clusterIP: CIP })], [slice('web', [EP2])], topo.nodeInfo),
    ).ruleset;
    const result = await syncer.sync(two);
    expect(result.recovered).toBe(true);
    expect(result.full).toBe(true);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep2 ${ADDR.client}`]);
  });

  it('conntrackCleanup unsticks a UDP client from a removed endpoint', async () => {
    const dns = service('dns', {
      clusterIP: CIP,
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    });
    const udp = (e: ReturnType<typeof ep>): ReturnType<typeof slice> =>
      slice('dns', [e], { name: 'dns', protocol: 'UDP' });
    const before = compile(model([dns], [udp(EP1)], topo.nodeInfo));
    const after = compile(model([dns], [udp(EP2)], topo.nodeInfo));
    await syncer.sync(before.ruleset);
    expect(await connect(topo.client, CIP, 53, 'udp', 1, 40053)).toEqual([`ep1 ${ADDR.client}`]);
    await syncer.sync(after.ruleset);
    // The conntrack entry still points at ep1: new rules alone do not move this client.
    expect(await connect(topo.client, CIP, 53, 'udp', 1, 40053)).toEqual([`ep1 ${ADDR.client}`]);
    const commands = conntrackCleanup(before.servicePorts, after.servicePorts);
    expect(commands).toContainEqual([
      'conntrack',
      '-D',
      '-f',
      'ipv4',
      '-p',
      'udp',
      '--orig-dst',
      CIP,
      '--orig-port-dst',
      '53',
      '--reply-src',
      ADDR.ep1,
    ]);
    for (const argv of commands) await topo.node.execUnchecked(argv);
    expect(await connect(topo.client, CIP, 53, 'udp', 1, 40053)).toEqual([`ep2 ${ADDR.client}`]);
  });

  it('ProxyRules commits applied through NftSyncer.apply: partial updates, recovery after tampering', async () => {
    const rules = new ProxyRules(topo.nodeInfo);
    const applier = new NftSyncer((text) => nft(topo.node, text));
    rules.upsertService(service('web', { clusterIP: CIP }));
    rules.upsertService(service('old', { clusterIP: '10.96.0.11' }));
    rules.upsertEndpointSlice(slice('web', [EP1]));
    rules.upsertEndpointSlice(slice('old', [EP1]));
    expect((await applier.apply(rules.commit())).full).toBe(true);
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);

    rules.upsertEndpointSlice(slice('web', [EP2]));
    const partial = await applier.apply(rules.commit());
    expect(partial).toMatchObject({
      full: false,
      recovered: false,
      changed: ['default/web/tcp/http'],
    });
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep2 ${ADDR.client}`]);

    await deleteDispatch('10.96.0.11');
    await topo.node.exec(['nft', 'flush', 'chain', 'inet', 'switchyard-proxy', 'services']);
    rules.deleteService('default', 'old');
    rules.upsertEndpointSlice(slice('web', [EP1]));
    const recovered = await applier.apply(rules.commit());
    expect(recovered).toMatchObject({ full: true, recovered: true });
    expect(await connect(topo.client, CIP, 80)).toEqual([`ep1 ${ADDR.client}`]);
  });

  it('LoadBalancer ingress IP: allowed source ranges reach an endpoint, others are dropped', async () => {
    await expectLbSourceRanges(topo, apply, CIP);
  });

  it('never touches other tables', async () => {
    await topo.node.exec(['nft', 'add', 'table', 'inet', 'someone-else']);
    await topo.node.exec(['nft', 'add', 'chain', 'inet', 'someone-else', 'keep']);
    await syncer.resync(compile(model([], [], topo.nodeInfo)).ruleset);
    const { stdout } = await topo.node.exec(['nft', 'list', 'tables']);
    expect(stdout).toContain('table inet someone-else');
    expect(stdout).toContain('table inet switchyard-proxy');
    await nft(topo.node, renderDeleteTable({ table: 'switchyard-proxy' }));
    const after = (await topo.node.exec(['nft', 'list', 'tables'])).stdout;
    expect(after).toContain('table inet someone-else');
    expect(after).not.toContain('switchyard-proxy');
  });
});
