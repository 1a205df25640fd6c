// Overlay reconcile at scale, inside throwaway namespaces: 1,000 remote nodes programmed from
// empty, one node added at that size, and no-op resyncs (from memory and after invalidate()).
// Anchor: iproute2 programming the same 3,000 entries from batch files (`ip -batch` and
// `bridge -batch`), the cheapest way the standard tools offer.
//
//   npx tsc -b packages/overlay/tsconfig.lib.json && node packages/overlay/bench/reconcile.bench.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rtnl, addAddress, createNetns, createVeth, run, sweepStaleNetns } from '@switchyard/linux';
import {
  LinuxDataplane,
  OverlayReconciler,
  desiredState,
  discoverUnderlay,
  overlayConfig,
} from '@switchyard/overlay';

const REMOTES = 1000;
const ROUNDS = 3;
const config = overlayConfig();
const LOCAL_IP = '10.215.0.1';
const LOCAL_MAC = '0a:00:00:00:ff:ff';

const hex = (n) => n.toString(16).padStart(2, '0');
const remote = (i) => ({
  name: `node-${i}`,
  podCIDRs: [`10.${216 + (i >> 8)}.${i & 255}.0/24`],
  internalIPs: [`10.215.${(i + 2) >> 8}.${(i + 2) & 255}`],
  vtepMac: `0a:00:00:00:${hex((i >> 8) & 255)}:${hex(i & 255)}`,
});
const local = {
  name: 'local',
  podCIDRs: ['10.230.0.0/24'],
  internalIPs: [LOCAL_IP],
  vtepMac: LOCAL_MAC,
};
const nodes = (n) => [local, ...Array.from({ length: n }, (_, i) => remote(i))];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A node namespace with an underlay device holding LOCAL_IP. */
async function node() {
  const ns = await createNetns('bench');
  const nl = Rtnl.open({ netns: ns });
  await createVeth(nl, { name: 'eth0', peer: { name: 'eth0p' }, mtu: 1500, up: true });
  await addAddress(nl, 'eth0', `${LOCAL_IP}/16`);
  return { ns, nl };
}

async function ours() {
  const { ns, nl } = await node();
  try {
    const reconciler = new OverlayReconciler(
      new LinuxDataplane(nl, config.protocol),
      config.device,
    );
    const underlay = await discoverUnderlay(nl, LOCAL_IP);
    const step = async (count) => {
      const input = nodes(count); // an agent has this list already, in its informer cache
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const desired = desiredState({
        nodes: input,
        localNode: 'local',
        config,
        underlay,
        vtepMac: LOCAL_MAC,
      });
      const computed = ms(t0);
      const { reads, writes } = nl.counters;
      const result = await reconciler.sync(desired);
      if (result.errors.length) throw result.errors[0].error;
      const total = ms(t0);
      const cpu = process.cpuUsage(cpu0);
      return {
        total,
        computed,
        cpu: (cpu.user + cpu.system) / 1000,
        reads: nl.counters.reads - reads,
        writes: nl.counters.writes - writes,
      };
    };
    const full = await step(REMOTES);
    const added = await step(REMOTES + 1);
    const cached = await step(REMOTES + 1);
    reconciler.invalidate();
    const reread = await step(REMOTES + 1);
    return { full, added, cached, reread };
  } finally {
    nl.close();
    await ns.delete();
  }
}

async function anchor() {
  const { ns, nl } = await node();
  nl.close();
  const dir = join(tmpdir(), `sy-bench-${process.pid}`);
  const dev = config.device;
  try {
    const links = [
      `link add ${dev} type vxlan id ${config.vni} dstport ${config.port} local ${LOCAL_IP} dev eth0 nolearning`,
      `link set ${dev} address ${LOCAL_MAC} mtu 1450 up`,
    ];
    const neigh = [];
    const fdb = [];
    const routes = [];
    for (let i = 0; i < REMOTES; i++) {
      const r = remote(i);
      const gw = r.podCIDRs[0].split('/')[0];
      neigh.push(`neigh replace ${gw} lladdr ${r.vtepMac} dev ${dev} nud permanent`);
      fdb.push(`fdb append ${r.vtepMac} dev ${dev} dst ${r.internalIPs[0]} self permanent`);
      routes.push(
        `route replace ${r.podCIDRs[0]} via ${gw} dev ${dev} onlink proto ${config.protocol}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ip'), [...links, ...neigh].join('\n') + '\n');
    writeFileSync(join(dir, 'fdb'), fdb.join('\n') + '\n');
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

await sweepStaleNetns();
const runs = [];
const anchors = [];
for (let i = 0; i < ROUNDS; i++) {
  runs.push(await ours());
  anchors.push(await anchor());
}
const base = median(anchors);
const line = (label, key, goal) => {
  const first = runs[0][key];
  const total = median(runs.map((r) => r[key].total));
  const best = Math.min(...runs.map((r) => r[key].total));
  const computed = median(runs.map((r) => r[key].computed));
  const cpu = median(runs.map((r) => r[key].cpu));
  const counts = `${first.reads} reads, ${first.writes} writes`;
  const g = goal ? `  goal < ${goal} ms` : '';
  console.log(
    `  ${label.padEnd(26)}${total.toFixed(1).padStart(8)} ms, min ${best.toFixed(1)} ms  (our CPU ${cpu.toFixed(1)} ms; desired state ${computed.toFixed(1)} ms; ${counts})${g}`,
  );
  return total;
};
const load = loadavg()[0].toFixed(1);
console.log(
  `overlay, ${REMOTES} remote nodes over VXLAN, median of ${ROUNDS} runs (load ${load} on ${cpus().length} CPUs)`,
);
const full = line('from empty', 'full', 1000);
line('+1 node (from memory)', 'added', 50);
line('no-op (from memory)', 'cached');
line('no-op after invalidate()', 'reread');
console.log(`  anchor: iproute2 -batch, same entries from empty: ${base.toFixed(1)} ms`);
console.log(`  ratio from empty, ours / anchor: ${(full / base).toFixed(2)}x`);
