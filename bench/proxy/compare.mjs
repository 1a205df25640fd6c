// switchyard-proxy vs kube-proxy (nftables mode, the same Kubernetes release as the testbed), each
// in its own node namespace of one testbed, against the same API state:
//   npx tsc -b apps/switchyard-proxy/tsconfig.lib.json packages/testbed/tsconfig.lib.json
//   bash tools/k8s/build.sh kube-proxy        # once; cached
//   node bench/proxy/compare.mjs [sizes, default 1000,10000] [changes, default 100]
// Per size: Services x 5 endpoints created straight through the API (selector-less Services and
// hand-made EndpointSlices, no pods), then each proxy started alone (the other stopped, so they do
// not share the CPU): cold start = process start to its first successful sync
// (`*_sync_proxy_rules_last_timestamp_seconds` > 0), with the process's CPU time (its nft
// children included); then nft objects per service. At the largest size both run at once and one
// EndpointSlice at a time gets a new address: network programming latency = from the API write to
// the address showing up in each kernel (`nft monitor` in each namespace), p50/p99. Ratios are
// kube-proxy / switchyard-proxy (above 1: we are faster or smaller).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { run, runUnchecked } from '@switchyard/linux';
import { startTestbed } from '@switchyard/testbed';

const sizes = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const CHANGES = Number(process.argv[3] ?? 100);
// BENCH_PROXIES=ours runs switchyard-proxy alone (a quick look while working on it).
const RUN = (process.env.BENCH_PROXIES ?? 'ours,kube').split(',');
const repo = fileURLToPath(new URL('../../', import.meta.url));
const OURS = join(repo, 'apps/switchyard-proxy/dist/main.js');
const binDir = (
  await run(['bash', join(repo, 'tools/k8s/build.sh'), '--print-bin-dir'])
).stdout.trim();
const KUBE_PROXY = join(binDir, 'kube-proxy');
const COLD_START_LIMIT_MS = 600_000;

const log = (...a) => console.log(...a);
const tb = await startTestbed({ name: 'pxbench', nodes: 2, underlay: '172.31.231.0/24' });
const core = tb.kubeConfig.makeApiClient(CoreV1Api);
const discovery = tb.kubeConfig.makeApiClient(DiscoveryV1Api);
const [ourNode, theirNode] = tb.nodes;
const children = new Set();

const proxies = {
  ours: {
    node: ourNode,
    metric: 'switchyard_proxy_sync_proxy_rules_last_timestamp_seconds',
    // Wall time of the syncs so far: after a cold start, the one full sync.
    syncSeconds: 'switchyard_proxy_sync_proxy_rules_duration_seconds_sum',
    metricsPort: 10256,
    table: ['inet', 'switchyard-proxy'],
    argv: () => [
      process.execPath,
      OURS,
      `--kubeconfig=${tb.layout.labKubeconfig}`,
      `--node-name=${ourNode.name}`,
      '--cluster-cidr=10.244.0.0/16',
      '--log-level=warn',
    ],
  },
  kube: {
    node: theirNode,
    metric: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"}',
    syncSeconds: 'kubeproxy_sync_full_proxy_rules_duration_seconds_sum{ip_family="IPv4"}',
    metricsPort: 10249,
    table: ['ip', 'kube-proxy'],
    argv: () => [
      KUBE_PROXY,
      '--proxy-mode=nftables',
      `--kubeconfig=${tb.layout.labKubeconfig}`,
      `--hostname-override=${theirNode.name}`,
      '--cluster-cidr=10.244.0.0/16',
      '--metrics-bind-address=0.0.0.0:10249',
      // Leave the machine-wide conntrack settings alone.
      '--conntrack-max-per-core=0',
      '--conntrack-tcp-timeout-established=0',
      '--conntrack-tcp-timeout-close-wait=0',
      '-v=0',
    ],
  },
};

function start(p) {
  const child = spawn('ip', ['netns', 'exec', p.node.netns, ...p.argv()], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.on('exit', () => children.delete(child));
  children.add(child);
  return { child, stderr: () => stderr, started: performance.now() };
}

async function stop(proc) {
  if (proc.child.exitCode !== null) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => proc.child.kill('SIGKILL'))]);
  await exited;
}

/** The node process's own pid (ip netns exec execs it, so it is the child's pid). */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime stime cutime cstime (fields 14-17), in clock ticks (100/s).
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

async function metrics(p) {
  const r = await runUnchecked([
    'ip',
    'netns',
    'exec',
    tb.layout.labNetns,
    'curl',
    '-s',
    '--max-time',
    '2',
    `http://${p.node.internalIP}:${p.metricsPort}/metrics`,
  ]);
  return r.stdout;
}

async function metric(p, name) {
  const line = (await metrics(p)).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function coldStart(p) {
  await runUnchecked(['ip', 'netns', 'exec', p.node.netns, 'nft', 'delete', 'table', ...p.table]);
  const proc = start(p);
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.stderr()}`);
    if ((await metric(p, p.metric)) > 0) break;
    if (performance.now() - proc.started > COLD_START_LIMIT_MS) {
      await stop(proc);
      return { ms: Infinity, cpu: NaN };
    }
    await sleep(100);
  }
  const ms = performance.now() - proc.started;
  const cpu = cpuSeconds(proc.child.pid);
  const sync = await metric(p, p.syncSeconds);
  return { ms, cpu, sync, load: loadavg(), proc };
}

/** Chains, rules and set/map elements in the proxy's table(s), from `nft -j`. */
async function objects(p) {
  const r = await run(
    ['ip', 'netns', 'exec', p.node.netns, 'nft', '-j', 'list', 'table', ...p.table],
    {
      timeoutMs: 300_000,
    },
  );
  const items = JSON.parse(r.stdout).nftables;
  const text = await run(
    ['ip', 'netns', 'exec', p.node.netns, 'nft', 'list', 'table', ...p.table],
    {
      timeoutMs: 300_000,
    },
  );
  // Anonymous sets and maps inside rules are not objects of their own; the text size shows them.
  const count = { chains: 0, rules: 0, elements: 0, bytes: text.stdout.length };
  for (const it of items) {
    if (it.chain) count.chains++;
    else if (it.rule) count.rules++;
    else if (it.set || it.map) count.elements += ((it.set ?? it.map).elem ?? []).length;
  }
  return count;
}

async function pool(n, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          try {
            await fn(i);
            break;
          } catch (e) {
            if (attempt >= 5 || e?.code === 409) break;
            await sleep(500);
          }
        }
      }
    }),
  );
}

const epIp = (i, j) => `10.${200 + (Math.floor(i / 250) % 50)}.${i % 250}.${j + 1}`;

function sliceBody(i, ips) {
  return {
    metadata: {
      name: `svc-${i}-bench`,
      labels: {
        'kubernetes.io/service-name': `svc-${i}`,
        'endpointslice.kubernetes.io/managed-by': 'bench.switchyard.dev',
      },
    },
    addressType: 'IPv4',
    // Pods on other nodes (the EndpointSlice controller always names the node).
    endpoints: ips.map((ip, j) => ({
      addresses: [ip],
      conditions: { ready: true },
      nodeName: `bench-node-${(i + j) % 50}`,
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

let created = 0;
async function ensureServices(n) {
  const t0 = performance.now();
  const from = created;
  await pool(n - from, 24, async (k) => {
    const i = from + k;
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: `svc-${i}` },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    });
    await discovery.createNamespacedEndpointSlice({
      namespace: 'default',
      body: sliceBody(
        i,
        [0, 1, 2, 3, 4].map((j) => epIp(i, j)),
      ),
    });
  });
  created = n;
  log(
    `  created ${n - from} services + slices in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/**
 * `nft monitor` in a node namespace; resolves waiters when a line mentions their address. It
 * listens only after it has read the whole ruleset, seconds at 10k services on a loaded machine:
 * `ready` resolves once it reports a probe table made in that namespace (a fixed sleep here once
 * made the first change look lost, though it was in the kernel).
 */
function monitor(p) {
  // Rules and set elements: our endpoint changes are map elements, kube-proxy's are rules.
  const child = spawn('ip', ['netns', 'exec', p.node.netns, 'nft', 'monitor'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const waiters = new Map();
  let buf = '';
  // nft monitor says so when its socket overflowed and events were lost.
  const lost = [];
  child.stderr.on('data', (d) => lost.push(String(d).trim()));
  child.stdout.on('data', (d) => {
    const now = performance.now();
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines) {
      if (line.startsWith('# ERROR')) lost.push(line);
      for (const [ip, resolve] of waiters) {
        if (line.includes(`${ip}:`) || line.includes(`${ip} `) || line.endsWith(` ${ip}`)) {
          waiters.delete(ip);
          resolve(now);
        }
      }
    }
  });
  const probe = 'bench-monitor-probe';
  // Each probe changes the ruleset generation, which restarts a dump nft monitor has under way:
  // probing every second kept a 10k-service dump that takes longer than that from ever finishing
  // (a livelock: no line in 120 s). So the probes back off, leaving the dump longer and longer
  // quiet spells to complete in.
  const ready = (async () => {
    for (
      let attempt = 0, waitMs = 1000;
      attempt < 30;
      attempt++, waitMs = Math.min(waitMs * 2, 20_000)
    ) {
      const heard = new Promise((resolve) => {
        waiters.set(probe, resolve);
        setTimeout(() => waiters.delete(probe) && resolve(NaN), waitMs);
      });
      const ns = ['ip', 'netns', 'exec', p.node.netns, 'nft'];
      await run([...ns, 'add', 'table', 'inet', probe]);
      await run([...ns, 'delete', 'table', 'inet', probe]);
      if (Number.isFinite(await heard)) return;
    }
    throw new Error(`nft monitor in ${p.node.netns} never reported the probe`);
  })();
  return {
    child,
    lost,
    ready,
    seen: (ip, timeoutMs) =>
      new Promise((resolve) => {
        waiters.set(ip, resolve);
        setTimeout(() => {
          if (waiters.delete(ip)) resolve(NaN);
        }, timeoutMs);
      }),
  };
}

const pct = (xs, q) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  // nearest rank: p99 of 100 values is the 99th smallest
  return s.length ? s[Math.max(0, Math.ceil(q * s.length) - 1)] : NaN;
};
const fmt = (ms) =>
  Number.isFinite(ms)
    ? ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(1)} ms`
    : 'n/a';
const ratio = (theirs, ours) =>
  Number.isFinite(theirs) && Number.isFinite(ours) ? `${(theirs / ours).toFixed(1)}x` : 'n/a';

/** Whether the address is in the proxy's table now (read once, after a change was not seen). */
async function inKernel(p, ip) {
  const r = await runUnchecked(
    ['ip', 'netns', 'exec', p.node.netns, 'nft', 'list', 'table', ...p.table],
    { timeoutMs: 300_000 },
  );
  return r.stdout.includes(`${ip}:`) || r.stdout.includes(`${ip} `);
}

const counters = (text, prefix) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .join('; ');

try {
  log(`testbed up; kube-proxy ${KUBE_PROXY}; running ${RUN.join(', ')}`);
  const results = [];
  for (const n of sizes) {
    log(`\n== ${n} services x 5 endpoints`);
    await ensureServices(n);
    const row = { n };
    for (const key of RUN) {
      const p = proxies[key];
      const r = await coldStart(p);
      log(
        `  ${key}: cold start ${fmt(r.ms)}, CPU ${r.cpu.toFixed(2)} s, first full sync ${fmt(r.sync * 1000)} (load ${r.load})`,
      );
      row[key] = { ms: r.ms, cpu: r.cpu, sync: r.sync, load: r.load };
      if (r.proc) {
        const o = await objects(p);
        row[key].objects = o;
        log(
          `  ${key}: ${JSON.stringify(o)} -> ${((o.chains + o.rules + o.elements) / n).toFixed(1)} objects/service`,
        );
        await stop(r.proc);
      }
    }
    results.push(row);
  }

  const n = sizes.at(-1);
  log(`\n== network programming latency at ${n} services: ${CHANGES} EndpointSlice changes`);
  const running = {};
  for (const key of RUN) {
    const r = await coldStart(proxies[key]);
    if (!r.proc) throw new Error(`${key} did not start within the limit`);
    running[key] = r.proc;
  }
  const monitors = Object.fromEntries(RUN.map((key) => [key, monitor(proxies[key])]));
  await Promise.all(Object.values(monitors).map((m) => m.ready));
  const lat = Object.fromEntries(RUN.map((key) => [key, []]));
  const loads = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = Math.floor(Math.random() * n);
    const ip = `10.251.${Math.floor(c / 250)}.${(c % 250) + 1}`;
    const ips = [ip, ...[1, 2, 3, 4].map((j) => epIp(i, j))];
    const waits = Object.fromEntries(RUN.map((key) => [key, monitors[key].seen(ip, 60_000)]));
    const t0 = performance.now();
    await discovery
      .replaceNamespacedEndpointSlice({
        name: `svc-${i}-bench`,
        namespace: 'default',
        body: sliceBody(i, ips),
      })
      .catch(async () => {
        const cur = await discovery.readNamespacedEndpointSlice({
          name: `svc-${i}-bench`,
          namespace: 'default',
        });
        await discovery.replaceNamespacedEndpointSlice({
          name: `svc-${i}-bench`,
          namespace: 'default',
          body: { ...cur, endpoints: sliceBody(i, ips).endpoints },
        });
      });
    for (const key of RUN) {
      const at = await waits[key];
      lat[key].push(at - t0);
      if (Number.isFinite(at)) continue;
      // Not seen within 60 s: in the kernel after all (the monitor missed it) or never applied?
      const p = proxies[key];
      const there = await inKernel(p, ip);
      const m = await metrics(p).catch(() => '');
      log(
        `  change ${c} (svc-${i}, ${ip}) not seen by ${key}'s monitor within 60 s; in the kernel now: ${there}; ` +
          `monitor errors: ${JSON.stringify(monitors[key].lost.slice(-3))}; ` +
          counters(
            m,
            key === 'ours'
              ? 'switchyard_proxy_syncs_total'
              : 'kubeproxy_sync_proxy_rules_duration_seconds_count',
          ) +
          '; ' +
          counters(m, 'switchyard_informer_watch_ends_total'),
      );
    }
    log(`  change ${c}: ${RUN.map((key) => `${key} ${fmt(lat[key].at(-1))}`).join(', ')}`);
    if (c % 10 === 0) loads.push(loadavg().split(' ')[0]);
    // More than both min sync periods (1 s) apart, so each change is measured on its own.
    await sleep(1200);
  }
  for (const m of Object.values(monitors)) m.child.kill('SIGKILL');
  const after = {};
  for (const key of RUN) {
    after[key] = await metrics(proxies[key]).catch(() => '');
    await stop(running[key]);
  }

  log('\n== results (ratio = kube-proxy / switchyard-proxy)');
  for (const row of results) {
    const obj = (o) => (o ? (o.chains + o.rules + o.elements) / row.n : NaN);
    const side = (key) =>
      row[key]
        ? `${fmt(row[key].ms)} wall, CPU ${row[key].cpu.toFixed(2)} s, first full sync ${fmt(row[key].sync * 1000)}, ` +
          `${obj(row[key].objects).toFixed(1)} objects/service ${JSON.stringify(row[key].objects)}, ` +
          `${((row[key].objects?.bytes ?? NaN) / row.n).toFixed(0)} text bytes/service (load ${row[key].load})`
        : 'not run';
    log(`${row.n} services: ours ${side('ours')}`);
    log(`${row.n} services: kube-proxy ${side('kube')}`);
    if (row.ours && row.kube) {
      log(
        `${row.n} services: ratios cold start ${ratio(row.kube.ms, row.ours.ms)} wall, ${ratio(row.kube.cpu, row.ours.cpu)} CPU; ` +
          `full sync ${ratio(row.kube.sync, row.ours.sync)}; objects/service ${ratio(obj(row.kube.objects), obj(row.ours.objects))}`,
      );
    }
  }
  const miss = (xs) => xs.filter((x) => !Number.isFinite(x)).length;
  for (const key of RUN) {
    log(
      `${n} services, one endpoint change, ${key}: p50 ${fmt(pct(lat[key], 0.5))}, p90 ${fmt(pct(lat[key], 0.9))}, ` +
        `p99 ${fmt(pct(lat[key], 0.99))}, max ${fmt(pct(lat[key], 1))}, missed ${miss(lat[key])}, ` +
        `monitor errors ${monitors[key].lost.length}`,
    );
    log(
      `  ${key} metrics after: ${counters(after[key], key === 'ours' ? 'switchyard_proxy_syncs_total' : 'kubeproxy_sync_proxy_rules_duration_seconds_count')}; ${counters(after[key], 'switchyard_proxy_table_repairs_total')}`,
    );
  }
  if (lat.ours && lat.kube) {
    log(
      `ratios: p50 ${ratio(pct(lat.kube, 0.5), pct(lat.ours, 0.5))}, p99 ${ratio(pct(lat.kube, 0.99), pct(lat.ours, 0.99))}`,
    );
  }
  log(`load average (1 min) every 10 changes: ${loads.join(' ')}; now ${loadavg()}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  await tb.down();
}
