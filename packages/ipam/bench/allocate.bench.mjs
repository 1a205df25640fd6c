// Allocation speed against the anchor, the reference host-local binary, in the same run:
//  1. in-process Allocator throughput (ADD+DEL pairs per second) with the host-local-format DiskStore
//     and with the JournalStore, vs host-local exec'd once per operation (how the runtime uses it);
//  2. per-call latency of the exec'd switchyard-ipam plugin vs exec'd host-local, interleaved so
//     both see the same machine load, plus bare `node -e 0` as the floor any Node plugin pays.
// Run after building: npx tsc -b packages/ipam/tsconfig.lib.json && node packages/ipam/bench/allocate.bench.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/', import.meta.url).pathname;
const { Allocator, DiskStore, JournalStore, RangeSet } = await import(join(dist, 'index.js'));
const HOST_LOCAL = '/usr/lib/cni/host-local';
const PLUGIN = join(dist, 'bin', 'switchyard-ipam.js');
const EXEC_ROUNDS = Number(process.env.EXEC_ROUNDS ?? 40);
const root = mkdtempSync(join(tmpdir(), 'sy-ipam-bench-'));

const ranges = [[{ subnet: '10.80.0.0/16' }], [{ subnet: 'fd00:80::/64' }]];
const config = (name) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name,
    type: 'bridge',
    ipam: { type: 'x', dataDir: root, ranges },
  });

function exec(argv, command, stdin, containerId) {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    input: stdin,
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: '/x',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} ${command}: ${r.stdout}`);
  return ms;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p95: at(0.95) };
};
const fmt = (x) => x.toFixed(1).padStart(8);

// --- exec'd latency, interleaved ---
const lat = { hl: { ADD: [], DEL: [] }, sy: { ADD: [], DEL: [] }, node: [] };
const tools = { hl: [HOST_LOCAL], sy: ['node', PLUGIN] };
for (let i = 0; i < EXEC_ROUNDS; i++) {
  for (const t of ['hl', 'sy'])
    lat[t].ADD.push(exec(tools[t], 'ADD', config(`exec-${t}`), `c${i}`));
  lat.node.push(exec(['node', '-e', '0'], 'VERSION', '', 'x'));
}
for (let i = 0; i < EXEC_ROUNDS; i++) {
  for (const t of ['hl', 'sy'])
    lat[t].DEL.push(exec(tools[t], 'DEL', config(`exec-${t}`), `c${i}`));
}

// --- in-process throughput ---
function throughput(store, pairs) {
  const a = new Allocator(
    ranges.map((r) => RangeSet.fromConfig(r)),
    store,
  );
  const t0 = performance.now();
  for (let i = 0; i < pairs; i++) {
    a.allocate({ containerId: `p${i}`, ifName: 'eth0' });
    a.release({ containerId: `p${i}`, ifName: 'eth0' });
  }
  const s = (performance.now() - t0) / 1000;
  store.close();
  return pairs / s;
}
const disk = throughput(new DiskStore('inproc-disk', { dataDir: root }), 300);
const journal = throughput(JournalStore.open(join(root, 'journal')), 3000);
const hlPairs = 1000 / (stats(lat.hl.ADD).mean + stats(lat.hl.DEL).mean);
rmSync(root, { recursive: true, force: true });

const hlAdd = stats(lat.hl.ADD);
const syAdd = stats(lat.sy.ADD);
const hlDel = stats(lat.hl.DEL);
const syDel = stats(lat.sy.DEL);
const bare = stats(lat.node);
console.log(
  `dual-stack ADD/DEL, ${EXEC_ROUNDS} rounds; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
);
console.log('\nexec latency (ms)                 mean      p50      p95');
console.log(`host-local ADD (anchor)       ${fmt(hlAdd.mean)} ${fmt(hlAdd.p50)} ${fmt(hlAdd.p95)}`);
console.log(`switchyard-ipam ADD           ${fmt(syAdd.mean)} ${fmt(syAdd.p50)} ${fmt(syAdd.p95)}`);
console.log(`host-local DEL (anchor)       ${fmt(hlDel.mean)} ${fmt(hlDel.p50)} ${fmt(hlDel.p95)}`);
console.log(`switchyard-ipam DEL           ${fmt(syDel.mean)} ${fmt(syDel.p50)} ${fmt(syDel.p95)}`);
console.log(`node -e 0 (floor for Node)    ${fmt(bare.mean)} ${fmt(bare.p50)} ${fmt(bare.p95)}`);
console.log(
  `ratio ADD p50 switchyard-ipam / host-local: ${(syAdd.p50 / hlAdd.p50).toFixed(1)}x slower` +
    ` (of which node start-up: ${fmt(bare.p50).trim()} ms)`,
);
console.log('\nADD+DEL pairs per second');
console.log(`host-local, exec per op (anchor) ${fmt(hlPairs)}`);
console.log(
  `Allocator + DiskStore, in-process ${fmt(disk)}   ratio ${(disk / hlPairs).toFixed(2)}x`,
);
console.log(
  `Allocator + JournalStore, in-process ${fmt(journal)}   ratio ${(journal / hlPairs).toFixed(1)}x`,
);
