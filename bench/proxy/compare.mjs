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

async function metric(p, name) {
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
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

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
  return { ms, cpu, proc };
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
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
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

/** `nft monitor` in a node namespace; resolves waiters when a line mentions their address. */
function monitor(p) {
  const child = spawn('ip', ['netns', 'exec', p.node.netns, 'nft', 'monitor', 'rules'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.add(child);
  const waiters = new Map();
  let buf = '';
  child.stdout.on('data', (d) => {
    const now = performance.now();
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines) {
      for (const [ip, resolve] of waiters) {
        if (line.includes(`${ip}:`) || line.includes(`${ip} `)) {
          waiters.delete(ip);
          resolve(now);
        }
      }
    }
  });
  return {
    child,
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
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const fmt = (ms) =>
  Number.isFinite(ms)
    ? ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(1)} ms`
    : 'n/a';
const ratio = (theirs, ours) =>
  Number.isFinite(theirs) && Number.isFinite(ours) ? `${(theirs / ours).toFixed(1)}x` : 'n/a';

try {
  log(`testbed up; kube-proxy ${KUBE_PROXY}`);
  const results = [];
  for (const n of sizes) {
    log(`\n== ${n} services x 5 endpoints`);
    await ensureServices(n);
    const row = { n };
    for (const key of ['ours', 'kube']) {
      const p = proxies[key];
      const r = await coldStart(p);
      log(`  ${key}: cold start ${fmt(r.ms)}, CPU ${r.cpu.toFixed(2)} s`);
      row[key] = { ms: r.ms, cpu: r.cpu };
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
  for (const key of ['ours', 'kube']) {
    const r = await coldStart(proxies[key]);
    if (!r.proc) throw new Error(`${key} did not start within the limit`);
    running[key] = r.proc;
  }
  const monitors = { ours: monitor(proxies.ours), kube: monitor(proxies.kube) };
  await sleep(2000);
  const lat = { ours: [], kube: [] };
  for (let c = 0; c < CHANGES; c++) {
    const i = Math.floor(Math.random() * n);
    const ip = `10.251.${Math.floor(c / 250)}.${(c % 250) + 1}`;
    const ips = [ip, ...[1, 2, 3, 4].map((j) => epIp(i, j))];
    const waits = { ours: monitors.ours.seen(ip, 60_000), kube: monitors.kube.seen(ip, 60_000) };
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
    const [a, b] = await Promise.all([waits.ours, waits.kube]);
    lat.ours.push(a - t0);
    lat.kube.push(b - t0);
    // More than both min sync periods (1 s) apart, so each change is measured on its own.
    await sleep(1200);
  }
  for (const m of Object.values(monitors)) m.child.kill('SIGKILL');
  for (const proc of Object.values(running)) await stop(proc);

  log('\n== results (ratio = kube-proxy / switchyard-proxy)');
  for (const row of results) {
    const obj = (o) => (o ? (o.chains + o.rules + o.elements) / row.n : NaN);
    log(
      `${row.n} services: cold start ours ${fmt(row.ours.ms)} (CPU ${row.ours.cpu.toFixed(2)} s), ` +
        `kube-proxy ${fmt(row.kube.ms)} (CPU ${row.kube.cpu.toFixed(2)} s) -> ${ratio(row.kube.ms, row.ours.ms)} wall, ` +
        `${ratio(row.kube.cpu, row.ours.cpu)} CPU; nft objects/service ours ${obj(row.ours.objects).toFixed(1)}, ` +
        `kube-proxy ${obj(row.kube.objects).toFixed(1)} -> ${ratio(obj(row.kube.objects), obj(row.ours.objects))}; ` +
        `nft text bytes/service ours ${((row.ours.objects?.bytes ?? NaN) / row.n).toFixed(0)}, kube-proxy ${((row.kube.objects?.bytes ?? NaN) / row.n).toFixed(0)}`,
    );
  }
  const miss = (xs) => xs.filter((x) => !Number.isFinite(x)).length;
  log(
    `${n} services, one endpoint change: p50 ours ${fmt(pct(lat.ours, 0.5))}, kube-proxy ${fmt(pct(lat.kube, 0.5))} -> ${ratio(pct(lat.kube, 0.5), pct(lat.ours, 0.5))}; ` +
      `p99 ours ${fmt(pct(lat.ours, 0.99))}, kube-proxy ${fmt(pct(lat.kube, 0.99))} -> ${ratio(pct(lat.kube, 0.99), pct(lat.ours, 0.99))}` +
      ` (missed: ours ${miss(lat.ours)}, kube-proxy ${miss(lat.kube)})`,
  );
  log(`load average during the run: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  await tb.down();
}
