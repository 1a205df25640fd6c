// Overlay reconcile at scale, inside throwaway namespaces: 1,000 remote nodes programmed from
// empty, then one node added, then a no-op resync. Anchor: iproute2 programming the same 3,000
// entries from batch files (`ip -batch` + `bridge -batch`), the cheapest way the tools offer.
//
//   npx tsc -b packages/overlay/tsconfig.lib.json && node packages/overlay/bench/reconcile.bench.mjs
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Rtnl,
  addAddress,
  createVeth,
  createNetns,
  run,
  setLink,
  sweepStaleNetns,
} from '@switchyard/linux';
import {
  LinuxDataplane,
  desiredState,
  discoverUnderlay,
  overlayConfig,
  reconcile,
} from '@switchyard/overlay';

const REMOTES = 1000;
const ROUNDS = 3;
const config = overlayConfig();
const LOCAL_IP = '10.215.0.1';
const LOCAL_MAC = '0a:00:00:00:ff:ff';

const remote = (i) => ({
  name: `node-${i}`,
  podCIDRs: [`10.${216 + (i >> 8)}.${i & 255}.0/24`],
  internalIPs: [`10.215.${(i + 2) >> 8}.${(i + 2) & 255}`],
  vtepMac: `0a:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
});
const local = {
  name: 'local',
  podCIDRs: ['10.230.0.0/24'],
  internalIPs: [LOCAL_IP],
  vtepMac: LOCAL_MAC,
};
const nodes = (n) => [local, ...Array.from({ length: n }, (_, i) => remote(i))];

async function node() {
  const ns = await createNetns('bench');
  const nl = Rtnl.open({ netns: ns });
  await createVeth(nl, { name: 'eth0', peer: { name: 'eth0p' }, mtu: 1500 });
  await setLink(nl, 'eth0', { up: true });
  await setLink(nl, 'eth0p', { up: true });
  await addAddress(nl, 'eth0', `${LOCAL_IP}/16`);
  return { ns, nl };
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function ours() {
  const { ns, nl } = await node();
  try {
    const dataplane = new LinuxDataplane(nl, config.protocol);
    const underlay = await discoverUnderlay(nl, LOCAL_IP);
    const step = async (count) => {
      const t0 = process.hrtime.bigint();
      const desired = desiredState({
        nodes: nodes(count),
        localNode: 'local',
        config,
        underlay,
        vtepMac: LOCAL_MAC,
      });
      const computed = ms(t0);
      const writes = nl.counters.writes;
      const result = await reconcile(dataplane, desired, config.device);
      if (result.errors.length) throw result.errors[0].error;
      return { total: ms(t0), computed, writes: nl.counters.writes - writes };
    };
    const full = await step(REMOTES);
    const added = await step(REMOTES + 1);
    const noop = await step(REMOTES + 1);
    return { full, added, noop };
  } finally {
    nl.close();
    await ns.delete();
  }
}

async function anchor() {
  const { ns, nl } = await node();
  nl.close();
  const dir = join(tmpdir(), `sy-bench-${process.pid}`);
  try {
    const ipBatch = [
      `link add ${config.device} type vxlan id ${config.vni} dstport ${config.port} local ${LOCAL_IP} dev eth0 nolearning`,
      `link set ${config.device} address ${LOCAL_MAC} mtu 1450 up`,
    ];
    const fdbBatch = [];
    for (let i = 0; i < REMOTES; i++) {
      const r = remote(i);
      const gw = r.podCIDRs[0].split('/')[0];
      ipBatch.push(`neigh replace ${gw} lladdr ${r.vtepMac} dev ${config.device} nud permanent`);
      fdbBatch.push(
        `fdb append ${r.vtepMac} dev ${config.device} dst ${r.internalIPs[0]} self permanent`,
      );
    }
    const routes = Array.from({ length: REMOTES }, (_, i) => {
      const r = remote(i);
      return `route replace ${r.podCIDRs[0]} via ${r.podCIDRs[0].split('/')[0]} dev ${config.device} onlink proto ${config.protocol}`;
    });
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ip'), ipBatch.join('\n') + '\n');
    writeFileSync(join(dir, 'fdb'), fdbBatch.join('\n') + '\n');
    writeFileSync(join(dir, 'routes'), routes.join('\n') + '\n');
    const t0 = process.hrtime.bigint();
    await run(['ip', '-n', ns.name, '-batch', join(dir, 'ip')]);
    await run(['bridge', '-n', ns.name, '-batch', join(dir, 'fdb')]);
    await run(['ip', '-n', ns.name, '-batch', join(dir, 'routes')]);
    return ms(t0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await ns.delete();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

await sweepStaleNetns();
const runs = [];
const anchors = [];
for (let i = 0; i < ROUNDS; i++) {
  runs.push(await ours());
  anchors.push(await anchor());
}
const full = median(runs.map((r) => r.full.total));
const added = median(runs.map((r) => r.added.total));
const noop = median(runs.map((r) => r.noop.total));
const base = median(anchors);
const r0 = runs[0];
console.log(`overlay reconcile, ${REMOTES} remote nodes (VXLAN), median of ${ROUNDS} runs`);
console.log(
  `  from empty:   ${full.toFixed(1)} ms  (${r0.full.writes} netlink writes; desired state ${r0.full.computed.toFixed(1)} ms)  goal < 1000 ms`,
);
console.log(`  +1 node:      ${added.toFixed(1)} ms  (${r0.added.writes} writes)  goal < 50 ms`);
console.log(`  no-op resync: ${noop.toFixed(1)} ms  (${r0.noop.writes} writes)`);
console.log(`  anchor, iproute2 -batch from empty: ${base.toFixed(1)} ms`);
console.log(`  ratio from-empty ours/anchor: ${(full / base).toFixed(2)}x`);
