// switchyard-dns vs CoreDNS, one core each, the same zone (one testbed's API state) and the same
// Corefile, driven by dnsperf:
//   npx tsc -b apps/switchyard-dns/tsconfig.lib.json packages/testbed/tsconfig.lib.json
//   node bench/dns/compare.mjs [seconds per run, default 4]
// Both servers are pinned to CPU 0 (taskset; CoreDNS with GOMAXPROCS=1) and measured in
// alternating slices (the other one idle), dnsperf on CPU 1. Per workload (cluster names, NXDOMAIN names, cached external names from a local fake
// upstream): QPS at saturation (100 queries outstanding) with the server's CPU time per answer,
// and its p50/p99 latency there (queueing: 100 queries outstanding), then p50/p99 latency at a
// fixed rate both can sustain (half the lower saturated QPS). Ratios
// are switchyard-dns / CoreDNS (above 1 is better for QPS, below 1 for latency and CPU).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestbed } from '@switchyard/testbed';

const slice = Number(process.argv[2] ?? 4);
const ROUNDS = 3;
const repo = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(repo, 'apps/switchyard-dns/dist/main.js');
const FAKE_UPSTREAM = join(repo, 'e2e/test/dns/fake-upstream.mjs');
const SERVICES = 300;
const HEADLESS = 30;
const NAMESPACES = 10;
const PORTS = { upstream: 15399, coredns: 15301, ours: 15302 };

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

for (const [cmd, how] of [
  ['dnsperf', 'apt-get install -y dnsperf'],
  ['taskset', 'apt-get install -y util-linux'],
  ['dig', 'apt-get install -y bind9-dnsutils'],
]) {
  if (!have(cmd)) {
    console.log(`${cmd} is not installed: ${how}, then rerun.`);
    process.exit(0);
  }
}
if (!existsSync(APP)) {
  console.log('switchyard-dns is not built: npx tsc -b apps/switchyard-dns/tsconfig.lib.json');
  process.exit(1);
}
const corednsDir = execFileSync(
  'bash',
  [join(repo, 'tools/k8s/build.sh'), '--print-bin-dir', 'coredns'],
  {
    encoding: 'utf8',
  },
).trim();
const COREDNS = join(corednsDir, 'coredns');
const dir = mkdtempSync(join(tmpdir(), 'sy-dns-compare-'));
const children = [];

function start(argv, env = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr.on('data', (b) => (err = (err + b.toString()).slice(-4000)));
  child.lastStderr = () => err;
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await done;
}

/** utime+stime of a process in microseconds (clock ticks are 100 Hz on Linux). */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function digStatus(port, name) {
  try {
    const out = execFileSync(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=1', name],
      {
        encoding: 'utf8',
      },
    );
    return /status: ([A-Z]+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

async function waitAnswering(port, name, child) {
  const deadline = Date.now() + 60_000;
  while (digStatus(port, name) !== 'NOERROR') {
    if (child.exitCode !== null) throw new Error(`server exited: ${child.lastStderr()}`);
    if (Date.now() > deadline) throw new Error(`no answer for ${name} on ${port}`);
    await sleep(250);
  }
}

function dnsperf(port, file, extra) {
  const argv = [
    'taskset',
    '-c',
    '1',
    'dnsperf',
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    file,
    ...extra,
  ];
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
}

const num = (out, re) => Number((re.exec(out) ?? [])[1] ?? NaN);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Per-query latencies (ms) from dnsperf -v output. */
function latencyLines(out) {
  return [...out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000);
}

/** One saturated run: completed queries, run time, the server's CPU time, each latency. */
function saturate(child, port, file) {
  const cpu0 = cpuUs(child.pid);
  const out = dnsperf(port, file, ['-l', String(slice), '-q', '100', '-c', '4', '-v']);
  return {
    latencies: latencyLines(out),
    completed: num(out, /Queries completed:\s+(\d+)/),
    lost: num(out, /Queries lost:\s+(\d+)/),
    runS: num(out, /Run time \(s\):\s+([\d.]+)/),
    cpuUs: cpuUs(child.pid) - cpu0,
    codes: /Response codes:\s+(\S+)/.exec(out)?.[1] ?? '',
  };
}

/** Per-query latencies (ms) of one run at a fixed rate. */
function latencies(port, file, rate) {
  return latencyLines(dnsperf(port, file, ['-l', String(slice), '-Q', String(rate), '-v']));
}

let tb;
try {
  console.log(
    `load average at start: ${loadavg()[0].toFixed(1)} on ${execFileSync('nproc').toString().trim()} cores`,
  );
  tb = await startTestbed({ name: 'dnsbench', nodes: 1, underlay: '172.31.235.0/24' });

  // The zone: services over a few namespaces, headless ones with 5 endpoints each.
  const docs = [];
  for (let n = 0; n < NAMESPACES; n++)
    docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}` } });
  for (let i = 0; i < SERVICES; i++) {
    docs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: `ns-${i % NAMESPACES}` },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
  }
  for (let i = 0; i < HEADLESS; i++) {
    const ns = `ns-${i % NAMESPACES}`;
    docs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `hl-${i}`, namespace: ns },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    docs.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `hl-${i}-manual`,
        namespace: ns,
        labels: { 'kubernetes.io/service-name': `hl-${i}` },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: Array.from({ length: 5 }, (_, e) => ({ addresses: [`10.98.${i}.${e + 1}`] })),
    });
  }
  for (const kind of ['Namespace', 'Service', 'EndpointSlice']) {
    const input = docs
      .filter((d) => d.kind === kind)
      .map((d) => JSON.stringify(d))
      .join('\n---\n');
    const r = await tb.kubectl(['apply', '-f', '-'], { input });
    if (r.exitCode !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
  }
  const ips = JSON.parse((await tb.kubectl(['get', 'svc', '-A', '-o', 'json'])).stdout)
    .items.filter((s) => s.metadata.name.startsWith('svc-'))
    .map((s) => s.spec.clusterIP);

  // Query files, one per workload.
  const files = {};
  const write = (name, lines) => {
    files[name] = join(dir, `${name}.txt`);
    writeFileSync(files[name], `${lines.join('\n')}\n`);
  };
  const cluster = [];
  const nx = [];
  const external = [];
  for (let i = 0; i < 5000; i++) {
    const s = (i * 7919) % SERVICES;
    const h = (i * 31) % HEADLESS;
    const pick = i % 20;
    const ns = `ns-${s % NAMESPACES}`;
    if (pick < 12) cluster.push(`svc-${s}.${ns}.svc.cluster.local A`);
    else if (pick < 15) cluster.push(`hl-${h}.ns-${h % NAMESPACES}.svc.cluster.local A`);
    else if (pick < 17) cluster.push(`_http._tcp.svc-${s}.${ns}.svc.cluster.local SRV`);
    else cluster.push(`${ips[s].split('.').reverse().join('.')}.in-addr.arpa PTR`);
    // Search-path misses (what ndots:5 makes of an external name) and unknown services.
    nx.push(
      i % 2
        ? `h${i % 200}.example.test.${ns}.svc.cluster.local A`
        : `missing-${i}.${ns}.svc.cluster.local A`,
    );
    external.push(`h${i % 200}.example.test A`);
  }
  write('cluster', cluster);
  write('nxdomain', nx);
  write('external', external);

  // One Corefile for both: kubeadm's, with the admin kubeconfig and the fake upstream (only the
  // ports differ, as both run at once).
  const corefileFile = (port) => {
    const path = join(dir, `Corefile.${port}`);
    writeFileSync(path, corefileText(port));
    return path;
  };
  const corefileText = (port) => `.:${port} {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       kubeconfig ${tb.kubeconfigPath}
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus 127.0.0.1:${port + 1000}
    forward . 127.0.0.1:${PORTS.upstream} {
       max_concurrent 1000
    }
    cache 30
    loadbalance
}
`;
  start([process.execPath, FAKE_UPSTREAM], {
    UPSTREAM_HOST: '127.0.0.1',
    UPSTREAM_PORT: String(PORTS.upstream),
    UPSTREAM_QUIET: '1',
  });

  const lastService = `svc-${SERVICES - 1}.ns-${(SERVICES - 1) % NAMESPACES}.svc.cluster.local`;
  // Both servers run at once, both pinned to CPU 0, idle while the other is measured; runs
  // alternate in short slices so both see the same background load on this shared machine.
  const servers = [
    {
      name: 'switchyard-dns',
      port: PORTS.ours,
      argv: [
        'taskset',
        '-c',
        '0',
        process.execPath,
        APP,
        '--kubeconfig',
        tb.kubeconfigPath,
        '--corefile',
        corefileFile(PORTS.ours),
        '--host',
        '127.0.0.1',
        '--dns-port',
        String(PORTS.ours),
        '--http-host',
        '127.0.0.1',
        '--health-port',
        '0',
        '--ready-port',
        '0',
        '--metrics-port',
        String(PORTS.ours + 1000),
        '--log-level',
        'warn',
      ],
      env: {},
    },
    {
      name: 'coredns',
      port: PORTS.coredns,
      argv: ['taskset', '-c', '0', COREDNS, '-conf', corefileFile(PORTS.coredns), '-quiet'],
      env: { GOMAXPROCS: '1' },
    },
  ];
  for (const s of servers) s.child = start(s.argv, s.env);
  for (const s of servers) await waitAnswering(s.port, lastService, s.child);

  const results = {};
  for (const [workload, file] of Object.entries(files)) {
    for (const s of servers) dnsperf(s.port, file, ['-n', '1', '-q', '50']); // warm the caches
    const load = [loadavg()[0]];
    const sat = Object.fromEntries(servers.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const s of order) sat[s.name].push(saturate(s.child, s.port, file));
    }
    const summary = {};
    for (const s of servers) {
      const runs = sat[s.name];
      const total = (k) => runs.reduce((n, r) => n + r[k], 0);
      const satLat = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      summary[s.name] = {
        satP50: percentile(satLat, 50),
        satP99: percentile(satLat, 99),
        qps: total('completed') / total('runS'),
        lost: total('lost'),
        cpuPerQueryUs: total('cpuUs') / total('completed'),
        codes: [...new Set(runs.map((r) => r.codes))].join(','),
      };
    }
    const rate = Math.floor(Math.min(...servers.map((s) => summary[s.name].qps)) / 2);
    const lat = Object.fromEntries(servers.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const s of order) lat[s.name].push(...latencies(s.port, file, rate));
    }
    for (const s of servers) {
      const sorted = lat[s.name].sort((a, b) => a - b);
      Object.assign(summary[s.name], { p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
    }
    load.push(loadavg()[0]);
    results[workload] = { rate, load, ...summary };
  }

  const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  console.log(
    `\ndnsperf: ${ROUNDS} alternating ${slice} s runs per server and workload, servers on CPU 0, dnsperf on CPU 1`,
  );
  console.log(
    `zone: ${SERVICES} services, ${HEADLESS} headless x 5 endpoints, in ${NAMESPACES} namespaces`,
  );
  const ratio = (a, b, d = 2) => `${f(a / b, d)}x`;
  for (const [workload, r] of Object.entries(results)) {
    const ours = r['switchyard-dns'];
    const them = r.coredns;
    console.log(
      `\n${workload}  (load average ${r.load.map((l) => l.toFixed(1)).join(' -> ')}; saturation = 100 outstanding; fixed rate = ${r.rate} QPS)`,
    );
    for (const [name, x] of [
      ['switchyard-dns', ours],
      ['coredns', them],
    ]) {
      console.log(
        `  ${name.padEnd(15)} QPS ${f(x.qps).padStart(6)}  lost ${x.lost}  CPU/answer ${f(x.cpuPerQueryUs, 1)} us  saturated p50 ${f(x.satP50, 2)} p99 ${f(x.satP99, 2)} ms  at ${r.rate} QPS p50 ${f(x.p50, 3)} p99 ${f(x.p99, 3)} ms  ${x.codes}`,
      );
    }
    console.log(
      `  ours/CoreDNS: QPS ${ratio(ours.qps, them.qps)}  CPU/answer ${ratio(ours.cpuPerQueryUs, them.cpuPerQueryUs)}  saturated p50 ${ratio(ours.satP50, them.satP50)} p99 ${ratio(ours.satP99, them.satP99)}  fixed-rate p50 ${ratio(ours.p50, them.p50)} p99 ${ratio(ours.p99, them.p99)}`,
    );
  }
  // The same numbers as Markdown rows (ours / CoreDNS (ratio)), for the README.
  console.log(
    '\n| workload | load | QPS | CPU/answer us | sat. p50 ms | sat. p99 ms | fixed rate | p50 ms | p99 ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const cell = (a, b, d) => `${f(a, d)} / ${f(b, d)} (${ratio(a, b)})`;
  for (const [workload, r] of Object.entries(results)) {
    const o = r['switchyard-dns'];
    const c = r.coredns;
    console.log(
      `| ${workload} | ${r.load.map((l) => l.toFixed(1)).join('-')} | ${cell(o.qps, c.qps, 0)} | ${cell(o.cpuPerQueryUs, c.cpuPerQueryUs, 1)} | ${cell(o.satP50, c.satP50, 2)} | ${cell(o.satP99, c.satP99, 2)} | ${r.rate} | ${cell(o.p50, c.p50, 2)} | ${cell(o.p99, c.p99, 2)} |`,
    );
  }
} finally {
  for (const c of children) await stop(c);
  await tb?.down();
  rmSync(dir, { recursive: true, force: true });
}
