// Sync cost of @switchyard/proxy-rules: rule generation for 1k and 10k services x 5 endpoints,
// one endpoint change, `nft -f` load times inside a throwaway network namespace, and the same
// one-change transactions sent over netlink (NftNetlink, the anchor being `nft -f`), plus the
// table check: `nft list chain` against a netlink dump of that one chain.
// Not a test. Build first: npx tsc -b packages/proxy-rules/tsconfig.lib.json
// Run (root, for the nft part): node packages/proxy-rules/bench/sync.bench.mjs
// Goal: full sync of 10k services < 2 s; one change < 50 ms. Wall and CPU time are both printed
// because the machine is shared: CPU time is what our code costs, wall time what a user waits.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NftNetlink, createNetns, sweepStaleNetns } from '@switchyard/linux';
import { ProxyRules, renderFullSyncSplit } from '../dist/index.js';

const ENDPOINTS = 5;

function populate(state, n) {
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    const nodePort = i % 10 === 0;
    state.upsertService({
      metadata: { name, namespace: 'bench' },
      spec: {
        type: nodePort ? 'NodePort' : 'ClusterIP',
        clusterIP: `10.96.${i >> 8}.${i & 255}`,
        ports: [
          {
            name: 'http',
            port: 80,
            protocol: 'TCP',
            ...(nodePort ? { nodePort: 30000 + i / 10 } : {}),
          },
        ],
      },
    });
    state.upsertEndpointSlice(slice(name, i, 0));
  }
}

function slice(name, i, generation) {
  const endpoints = [];
  for (let e = 0; e < ENDPOINTS; e++) {
    endpoints.push({
      addresses: [`10.${100 + e + generation}.${i >> 8}.${i & 255}`],
      nodeName: e === 0 ? 'node-a' : 'node-b',
    });
  }
  return {
    metadata: { name, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

async function timedAsync(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

// Loads an nft transaction in `ns`; wall time, plus nft's own CPU time (user + system, which
// includes the kernel's work) when /usr/bin/time is there to measure it.
const haveTime = existsSync('/usr/bin/time');
async function nftLoad(ns, text) {
  const argv = haveTime
    ? ['/usr/bin/time', '-f', 'cpu %U %S', 'nft', '-f', '-']
    : ['nft', '-f', '-'];
  const t0 = performance.now();
  const { stderr } = await ns.exec(argv, { input: text });
  const wall = performance.now() - t0;
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined };
}
const loadText = (r) => `${ms(r.wall)} wall${r.cpu === undefined ? '' : `, ${ms(r.cpu)} cpu`}`;

const ms = (x) => `${x.toFixed(1)} ms`;
const median = (runs) => [...runs].sort((a, b) => a.wall - b.wall)[Math.floor(runs.length / 2)];
console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${(await import('node:os')).cpus().length} CPUs`,
);
const node = { name: 'node-a', addresses: ['192.168.0.10'], clusterCIDRs: ['10.0.0.0/8'] };
const nsAvailable = process.getuid?.() === 0;
if (nsAvailable) await sweepStaleNetns();

for (const n of [1000, 10000]) {
  const state = new ProxyRules(node);
  populate(state, n);
  const full = timed(() => state.commit());
  const rs = full.value.ruleset;
  const rules = [...rs.chains.values()].reduce((a, c) => a + c.rules.length, 0);
  const elements =
    [...rs.maps.values(), ...rs.dnatMaps.values()].reduce((a, m) => a + m.elements.size, 0) +
    rs.hairpin.ipv4.size +
    rs.hairpin.ipv6.size +
    rs.clusterIPs.ipv4.size +
    rs.clusterIPs.ipv6.size;
  const objects = rs.chains.size + rules + elements;
  console.log(`\n${n} services x ${ENDPOINTS} endpoints`);
  console.log(
    `  full sync generation: ${ms(full.wall)} wall, ${ms(full.cpu)} cpu; ${(full.value.transaction.text.length / 1e6).toFixed(1)} MB of nft text`,
  );
  console.log(
    `  nft objects: ${rs.chains.size} chains, ${rules} rules, ${elements} set/map elements: ${(objects / n).toFixed(1)} per service`,
  );
  // One endpoint change, 21 times on different services: the median.
  const changes = [];
  for (let k = 0; k < 21; k++) {
    state.upsertEndpointSlice(slice(`svc-${k * 7}`, k * 7, 1));
    changes.push(timed(() => state.commit()));
  }
  const one = median(changes);
  const commands = one.value.transaction.text.split('\n').length - 1;
  console.log(
    `  one endpoint change (median of 21): ${ms(one.wall)} wall, ${ms(one.cpu)} cpu; ${commands} nft commands`,
  );

  if (!nsAvailable) continue;
  let loadFullWall;
  const ns = await createNetns('bench');
  try {
    const loadFull = await nftLoad(ns, full.value.transaction.text);
    loadFullWall = loadFull.wall;
    console.log(`  nft -f full load: ${loadText(loadFull)}`);
    const loads = [];
    for (let k = 0; k < 5; k++) {
      state.upsertEndpointSlice(slice(`svc-${k * 11 + 1}`, k * 11 + 1, 2));
      loads.push(await nftLoad(ns, state.commit().transaction.text));
    }
    const loadInc = median(loads);
    console.log(`  nft -f one-change transaction (median of 5): ${loadText(loadInc)}`);
    // The same kind of transaction over netlink: our process's CPU time includes the kernel's
    // work, which runs inside our sendmsg.
    const nl = NftNetlink.open({ netns: ns });
    const table = { family: 'inet', name: rs.table };
    const viaNetlink = [];
    try {
      for (let k = 0; k < 21; k++) {
        // Services no earlier change touched (those were generated but not all loaded).
        state.upsertEndpointSlice(slice(`svc-${500 + k}`, 500 + k, 3));
        const { elements } = state.commit().transaction;
        if (!elements) throw new Error('an endpoint change should be element operations only');
        viaNetlink.push(await timedAsync(() => nl.applyElements(table, elements)));
      }
      const nlInc = median(viaNetlink);
      console.log(
        `  netlink one-change transaction (median of 21): ${ms(nlInc.wall)} wall, ${ms(nlInc.cpu)} cpu (nft -f / netlink: ${(loadInc.wall / nlInc.wall).toFixed(0)}x wall)`,
      );
      const checks = [];
      for (let k = 0; k < 5; k++) {
        const argv = ['nft', 'list', 'chain', 'inet', rs.table, 'nat-prerouting'];
        const t0 = performance.now();
        const { stderr } = await ns.exec(
          haveTime ? ['/usr/bin/time', '-f', 'cpu %U %S', ...argv] : argv,
        );
        const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
        checks.push({
          wall: performance.now() - t0,
          cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined,
        });
      }
      const nlChecks = [];
      for (let k = 0; k < 21; k++)
        nlChecks.push(await timedAsync(() => nl.listRules(table, 'nat-prerouting')));
      const check = median(checks);
      const nlCheck = median(nlChecks);
      console.log(
        `  table check: nft list chain ${loadText(check)} (median of 5); netlink dump ${ms(nlCheck.wall)} wall, ${ms(nlCheck.cpu)} cpu (median of 21): ${(check.wall / nlCheck.wall).toFixed(0)}x less wall`,
      );
    } finally {
      nl.close();
    }
    const cpu = (a, b) => (b.cpu === undefined ? '' : `; cpu ${ms(a.cpu + b.cpu)}`);
    console.log(
      `  => full sync total: wall ${ms(full.wall + loadFull.wall)}${cpu(full, loadFull)} (goal < 2000 ms)`,
    );
    console.log(
      `  => one change total: wall ${ms(one.wall + loadInc.wall)}${cpu(one, loadInc)} (goal < 50 ms)`,
    );
  } finally {
    await ns.delete();
  }

  // A cold start as NftSyncer does it with an element applier: the structure through nft, the
  // elements over netlink in batches of about 20k (the anchor: the one `nft -f` full load above).
  const cold = await createNetns('benchcold');
  const nl = NftNetlink.open({ netns: cold });
  try {
    const split = timed(() => renderFullSyncSplit(state.commit().ruleset));
    const structure = await nftLoad(cold, split.value.structure);
    const table = { family: 'inet', name: state.commit().ruleset.table };
    const batches = [];
    let group = [];
    let count = 0;
    for (const op of split.value.elements) {
      group.push(op);
      count += op.elements.length;
      if (count >= 20_000) {
        batches.push(group);
        group = [];
        count = 0;
      }
    }
    if (group.length) batches.push(group);
    const elements = await timedAsync(async () => {
      for (const b of batches) await nl.applyElements(table, b);
    });
    const cpu =
      structure.cpu === undefined ? '' : `; cpu ${ms(split.cpu + structure.cpu + elements.cpu)}`;
    console.log(
      `  cold start split: render ${ms(split.wall)} wall, nft -f structure ${loadText(structure)}, ${batches.length} netlink batches ${ms(elements.wall)} wall, ${ms(elements.cpu)} cpu`,
    );
    console.log(
      `  => cold load after generation: wall ${ms(split.wall + structure.wall + elements.wall)}${cpu} (nft -f full load: ${(loadFullWall / (split.wall + structure.wall + elements.wall)).toFixed(1)}x)`,
    );
  } finally {
    nl.close();
    await cold.delete();
  }
}
