// CNI ADD/DEL latency and concurrency: switchyard (C shim -> warm agent) against the anchor, the
// reference bridge + host-local plugins in /usr/lib/cni, in the same run on the same node.
//  1. 200 pods: ADD then DEL, each plugin exec'd once per call exactly as a runtime does (from a
//     process in the node namespace, config on stdin). Switchyard and the reference alternate pod
//     by pod (each with its own pod namespaces: both add a default route), so both see the same
//     machine load. p50/p99 and ratios.
//  2. 100 concurrent ADDs on one node for each: all must succeed with distinct addresses; total
//     wall time and ratio. Then 100 concurrent DELs.
//  3. For reference: the shim's standalone fallback (agent stopped), 20 ADD+DEL.
// Needs root. Build first: npm run build:shim -w @switchyard/app-cni (or scripts/build-shim.sh)
// and npx tsc -b apps/switchyard-cni/tsconfig.lib.json; then node apps/switchyard-cni/bench/cni.bench.mjs
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createNetns, inNetns, sweepStaleNetns } from '@switchyard/linux';

const APP = fileURLToPath(new URL('..', import.meta.url));
const SHIM = join(APP, 'dist/switchyard-cni');
const AGENT = join(APP, 'dist/agent/main.js');
const BRIDGE = '/usr/lib/cni/bridge';
const PODS = Number(process.env.PODS ?? 200);
const CONCURRENT = Number(process.env.CONCURRENT ?? 100);
if (!existsSync(SHIM) || !existsSync(AGENT)) throw new Error('build the shim and the app first');

await sweepStaleNetns();
const dir = mkdtempSync(join(tmpdir(), 'sy-cni-bench-'));
const node = await createNetns('benchnode');
const pods = [];
const refPods = [];
let agent;

const ours = (cniVersion = '1.1.0') => ({
  cniVersion,
  name: 'switchyard',
  type: 'switchyard',
  bridge: 'cni0',
  mtu: 1500,
  agentSocket: join(dir, 'cni.sock'),
  nodeBinary: process.execPath,
  standaloneScript: join(APP, 'dist/plugin/standalone.js'),
  ipam: {
    type: 'switchyard-ipam',
    dataDir: join(dir, 'ipam'),
    ranges: [[{ subnet: '10.84.0.0/23' }]],
  },
});
const reference = {
  cniVersion: '1.0.0',
  name: 'reference',
  type: 'bridge',
  bridge: 'refbr0',
  isGateway: true,
  ipam: {
    type: 'host-local',
    dataDir: join(dir, 'host-local'),
    ranges: [[{ subnet: '10.85.0.0/23' }]],
    routes: [{ dst: '0.0.0.0/0' }],
  },
};

/** Execs a plugin from inside the node namespace, like a runtime on that node; resolves with ms. */
function call(binary, conf, verb, containerId, netns, ifName) {
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: verb,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: netns,
    CNI_IFNAME: ifName,
    CNI_PATH: '/usr/lib/cni',
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = inNetns(node, () => spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const text = Buffer.concat(out).toString();
      if (code !== 0) reject(new Error(`${binary} ${verb} ${containerId}: ${text}`));
      else resolve({ ms, result: text ? JSON.parse(text) : undefined });
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), min: s[0] };
};
const f = (x) => x.toFixed(1).padStart(7);
const row = (name, a, b) =>
  console.log(
    `${name.padEnd(12)} switchyard p50 ${f(a.p50)} p99 ${f(a.p99)} min ${f(a.min)} | reference p50 ${f(b.p50)} p99 ${f(b.p99)} min ${f(b.min)} | ratio p50 ${(a.p50 / b.p50).toFixed(2)}x p99 ${(a.p99 / b.p99).toFixed(2)}x`,
  );

async function startAgent() {
  agent = inNetns(node, () =>
    spawn(
      process.execPath,
      [
        AGENT,
        '--pod-cidr',
        '10.84.0.0/23',
        '--cluster-cidr',
        '10.84.0.0/16',
        '--cni-conf-dir',
        join(dir, 'net.d'),
        '--ipam-data-dir',
        join(dir, 'ipam'),
        '--socket',
        join(dir, 'cni.sock'),
        '--overlay-mode',
        'none',
        '--health-port',
        '0',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  while (!existsSync(join(dir, 'cni.sock'))) await delay(20);
}

async function stopAgent() {
  const exited = new Promise((r) => agent.once('exit', r));
  agent.kill('SIGTERM');
  await exited;
}

try {
  await startAgent();
  for (let i = 0; i < Math.max(PODS, CONCURRENT); i++) {
    pods.push(await createNetns('benchpod'));
    refPods.push(await createNetns('benchref'));
  }
  console.log(
    `uptime load: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  // Warm-up: the first call creates each bridge.
  await call(SHIM, ours(), 'ADD', 'warm', pods[0].path, 'eth0');
  await call(SHIM, ours(), 'DEL', 'warm', pods[0].path, 'eth0');
  await call(BRIDGE, reference, 'ADD', 'warm', refPods[0].path, 'eth0');
  await call(BRIDGE, reference, 'DEL', 'warm', refPods[0].path, 'eth0');

  const t = { syAdd: [], refAdd: [], syDel: [], refDel: [] };
  for (let i = 0; i < PODS; i++) {
    const first = i % 2 === 0;
    const sy = () =>
      call(SHIM, ours(), 'ADD', `p${i}`, pods[i].path, 'eth0').then((r) => t.syAdd.push(r.ms));
    const ref = () =>
      call(BRIDGE, reference, 'ADD', `p${i}`, refPods[i].path, 'eth0').then((r) =>
        t.refAdd.push(r.ms),
      );
    if (first) {
      await sy();
      await ref();
    } else {
      await ref();
      await sy();
    }
  }
  for (let i = 0; i < PODS; i++) {
    const sy = () =>
      call(SHIM, ours(), 'DEL', `p${i}`, pods[i].path, 'eth0').then((r) => t.syDel.push(r.ms));
    const ref = () =>
      call(BRIDGE, reference, 'DEL', `p${i}`, refPods[i].path, 'eth0').then((r) =>
        t.refDel.push(r.ms),
      );
    if (i % 2 === 0) {
      await sy();
      await ref();
    } else {
      await ref();
      await sy();
    }
  }
  console.log(`\n${PODS} pods, sequential, ms per call (exec to exit):`);
  row('ADD', stats(t.syAdd), stats(t.refAdd));
  row('DEL', stats(t.syDel), stats(t.refDel));

  console.log(`\n${CONCURRENT} concurrent ADDs on one node:`);
  const burst = async (binary, conf, set) => {
    const t0 = performance.now();
    const results = await Promise.allSettled(
      set
        .slice(0, CONCURRENT)
        .map((p, i) => call(binary, conf, 'ADD', `burst${i}`, p.path, 'eth0')),
    );
    const wall = performance.now() - t0;
    const ok = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => r.value.result.ips[0].address);
    const failed = results.filter((r) => r.status === 'rejected');
    const t1 = performance.now();
    await Promise.allSettled(
      set
        .slice(0, CONCURRENT)
        .map((p, i) => call(binary, conf, 'DEL', `burst${i}`, p.path, 'eth0')),
    );
    return {
      wall,
      delWall: performance.now() - t1,
      ok: ok.length,
      distinct: new Set(ok).size,
      failed,
    };
  };
  const syB = await burst(SHIM, ours(), pods);
  const refB = await burst(BRIDGE, reference, refPods);
  for (const [name, b] of [
    ['switchyard', syB],
    ['reference', refB],
  ]) {
    console.log(
      `${name.padEnd(11)} ADD total ${f(b.wall)} ms (${b.ok}/${CONCURRENT} ok, ${b.distinct} distinct addresses)  DEL total ${f(b.delWall)} ms`,
    );
    if (b.failed.length)
      console.log(`  first failure: ${b.failed[0].reason.message.slice(0, 200)}`);
  }
  console.log(
    `ratio ADD total ${(syB.wall / refB.wall).toFixed(2)}x, DEL total ${(syB.delWall / refB.delWall).toFixed(2)}x`,
  );

  await stopAgent();
  const fb = [];
  for (let i = 0; i < 20; i++) {
    fb.push((await call(SHIM, ours(), 'ADD', `fb${i}`, pods[i].path, 'eth0')).ms);
    await call(SHIM, ours(), 'DEL', `fb${i}`, pods[i].path, 'eth0');
  }
  const s = stats(fb);
  console.log(
    `\nstandalone fallback (agent stopped), 20 ADDs: p50 ${f(s.p50)} ms, min ${f(s.min)} ms`,
  );
} finally {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  for (const p of [...pods, ...refPods]) await p.delete();
  await node.delete();
  rmSync(dir, { recursive: true, force: true });
}
