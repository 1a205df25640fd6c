// Cluster-name QPS of the @switchyard/dns server on one core, measured with dnsperf.
//   npx tsc -b packages/dns/tsconfig.lib.json && node packages/dns/bench/qps.mjs [seconds]
// The server runs pinned to CPU 0 (taskset) and dnsperf to CPU 1, so the number is one core's.
// The anchor is the published CoreDNS figure (coredns/deployment Scaling_CoreDNS.md): 33,669 QPS
// for internal names on a 2-vCPU n1-standard-2, i.e. about 17k QPS per vCPU. That is other
// hardware: the ratio says where we stand, not a head-to-head (that comparison comes later).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ANCHOR_QPS_PER_VCPU = 33669 / 2;
const seconds = Number(process.argv[2] ?? 10);
const here = dirname(fileURLToPath(import.meta.url));

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!have('dnsperf')) {
  console.log('dnsperf is not installed: apt-get install -y dnsperf (Debian/Ubuntu), then rerun.');
  process.exit(0);
}
if (!existsSync(join(here, '../dist/index.js'))) {
  console.log('packages/dns is not built: npx tsc -b packages/dns/tsconfig.lib.json, then rerun.');
  process.exit(1);
}
const pin = have('taskset');

// The query mix a cluster sends: mostly service A lookups, some AAAA (NODATA), SRV, headless,
// NXDOMAIN (search-path misses) and PTR.
const lines = [];
for (let i = 0; i < 10000; i++) {
  const s = (i * 7919) % 1000;
  const h = (i * 31) % 100;
  const pick = i % 20;
  if (pick < 10) lines.push(`svc-${s}.ns-${s % 50}.svc.cluster.local A`);
  else if (pick < 12) lines.push(`svc-${s}.ns-${s % 50}.svc.cluster.local AAAA`);
  else if (pick < 13) lines.push(`_http._tcp.svc-${s}.ns-${s % 50}.svc.cluster.local SRV`);
  else if (pick < 15) lines.push(`hl-${h}.ns-${h % 50}.svc.cluster.local A`);
  else if (pick < 19) lines.push(`example.com.ns-${s % 50}.svc.cluster.local A`);
  else lines.push(`${s & 255}.${s >> 8}.96.10.in-addr.arpa PTR`);
}
const dir = mkdtempSync(join(tmpdir(), 'sy-dns-bench-'));
const queryFile = join(dir, 'queries.txt');
writeFileSync(queryFile, `${lines.join('\n')}\n`);

const serverArgv = [process.execPath, join(here, 'serve.mjs'), '0'];
const server = spawn(
  pin ? 'taskset' : serverArgv[0],
  pin ? ['-c', '0', ...serverArgv] : serverArgv.slice(1),
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const reports = [];
const waiters = [];
let pending = '';
server.stdout.on('data', (b) => {
  pending += b.toString();
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const report = JSON.parse(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    const w = waiters.shift();
    if (w) w(report);
    else reports.push(report);
  }
});
const nextReport = () =>
  new Promise((resolve) => (reports.length ? resolve(reports.shift()) : waiters.push(resolve)));
// A server that dies would leave the waits above pending forever: say so and stop.
server.on('exit', (code, signal) => {
  if (waiters.length === 0) return;
  console.log(`the server exited (${signal ?? code}) before reporting`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
const { port } = await nextReport();
async function cpuSnapshot() {
  server.kill('SIGUSR2');
  return nextReport();
}

try {
  const perf = [
    'dnsperf',
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queryFile,
    '-l',
    String(seconds),
    '-c',
    '8',
    '-q',
    '500',
  ];
  const argv = pin ? ['taskset', '-c', '1', ...perf] : perf;
  const load = loadavg()[0].toFixed(1);
  const before = await cpuSnapshot();
  const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const after = await cpuSnapshot();
  const cpuPerQueryUs = (after.cpuUs - before.cpuUs) / (after.answered - before.answered);
  const num = (re) => Number((re.exec(out) ?? [])[1] ?? NaN);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  const sent = num(/Queries sent:\s+(\d+)/);
  const lost = num(/Queries lost:\s+(\d+)/);
  const avgMs = num(/Average Latency \(s\):\s+([\d.]+)/) * 1000;
  console.log(
    `@switchyard/dns, cluster names, UDP, one core${pin ? ' (taskset)' : ' (not pinned: no taskset)'}`,
  );
  console.log(
    `  load average at start: ${load} (other work on these cores lowers the measured QPS)`,
  );
  console.log(
    `  QPS ${qps.toFixed(0)}   sent ${sent}   lost ${lost}   avg latency ${avgMs.toFixed(2)} ms`,
  );
  // Under contention (other work on the same cores) wall-clock QPS understates a core's capacity;
  // CPU time per answered query does not, so both are printed.
  const capacity = 1e6 / cpuPerQueryUs;
  console.log(
    `  server CPU per query ${cpuPerQueryUs.toFixed(1)} us -> ${capacity.toFixed(0)} QPS per fully used core`,
  );
  const ratio = (v) => (v / ANCHOR_QPS_PER_VCPU).toFixed(2);
  console.log(
    `  vs CoreDNS published ~${ANCHOR_QPS_PER_VCPU.toFixed(0)} QPS/vCPU: measured ${ratio(qps)}x, per-core capacity ${ratio(capacity)}x`,
  );
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true });
}
