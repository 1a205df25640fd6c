// switchyard-ingress vs nginx (Debian) vs @fastify/http-proxy: wrk against each proxy, all with
// the same routes to the same backend, keep-alive on both sides. Not a test.
//   npx tsc -b apps/switchyard-ingress/tsconfig.lib.json   (builds @switchyard/ingress and kube too)
//   node bench/ingress/compare.mjs [rounds, default 3] [seconds per run, default 8]
// Each proxy is pinned to core 0; wrk (1 thread, 50 connections) and the backend (a static nginx
// answer, so it is never the limit) share core 1. Rounds alternate the proxies so a burst of
// load from other jobs on the machine does not land on one of them only. Per run: req/s, p99,
// and the proxy's CPU time per request (from /proc), which is less sensitive to what else runs
// on the machine than req/s. Ratios are against nginx in the same round. Needs wrk, nginx and
// taskset (apt-get install -y wrk nginx-light util-linux); everything listens on 127.0.0.1 and
// every process started is stopped by PID.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 8);
const CONNECTIONS = 50;
const TARGET = '/api/v1/items?page=2';
const WARMUP = 30_000;

const missing = ['wrk', 'nginx', 'taskset'].filter(
  (b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0,
);
if (missing.length > 0) {
  console.log(`bench skipped: missing ${missing.join(', ')}`);
  process.exit(0);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const children = new Set();
function start(argv, name) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => s.end(() => resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} never opened`);
}

function nginxConfig(dir, body) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(
    file,
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
${body}
}
`,
  );
  return file;
}

const CLK_TCK =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function wrk(port, seconds) {
  const r = spawnSync(
    'taskset',
    [
      '-c',
      '1',
      'wrk',
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '--latency',
      '-H',
      'Host: bench.test',
      `http://127.0.0.1:${port}${TARGET}`,
    ],
    { encoding: 'utf8' },
  );
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN),
    p99: /\s99%\s+([\d.]+\w+)/.exec(r.stdout)?.[1] ?? '?',
    requests: Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN),
    errors: /Non-2xx or 3xx responses: \d+|Socket errors: .*/.exec(r.stdout)?.[0],
  };
}

/**
 * Warm up (discarded) until the proxy has served WARMUP requests or 10 s passed — on a busy
 * machine a fixed time may leave the JIT still compiling (its threads count in the process's
 * CPU time) — then one measured run with the proxy's CPU time per request.
 */
async function measure(proxy) {
  const child = proxy.start();
  await waitForPort(proxy.port);
  for (let served = 0, i = 0; served < WARMUP && i < 5; i++) served += wrk(proxy.port, 2).requests;
  const before = cpuMs(child.pid);
  const r = wrk(proxy.port, SECONDS);
  r.cpuUs = ((cpuMs(child.pid) - before) * 1000) / r.requests;
  await stop(child);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'sy-ingress-bench-'));
try {
  const backendPort = await freePort();
  const backendConf = nginxConfig(
    join(dir, 'backend'),
    `  server { listen 127.0.0.1:${backendPort}; location / { return 200 "hello\\n"; } }`,
  );
  // The same routes as servers.mjs, with the headers ingress-nginx sets.
  const nginxPort = await freePort();
  const pass = `proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;`;
  const proxyConf = nginxConfig(
    join(dir, 'nginx'),
    `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    server_name bench.test;
    location = /api { ${pass} }
    location /api/ { ${pass} }
    location = /healthz { ${pass} }
    location / { ${pass} }
  }
  server { listen 127.0.0.1:${nginxPort}; server_name other.test; location / { ${pass} } }`,
  );
  const node = (script, kind) => async () => {
    const port = await freePort();
    return {
      port,
      start: () =>
        start(
          [
            'taskset',
            '-c',
            '0',
            process.execPath,
            join(here, script),
            ...(kind ? [kind] : []),
            String(port),
            String(backendPort),
          ],
          kind ?? script,
        ),
    };
  };
  const proxies = {
    nginx: async () => ({
      port: nginxPort,
      start: () =>
        start(['taskset', '-c', '0', 'nginx', '-c', proxyConf, '-p', join(dir, 'nginx')], 'nginx'),
    }),
    'switchyard-ingress': node('servers.mjs', 'standalone'),
    'ingress library only': node('servers.mjs', 'library'),
    'embedded handler': node('servers.mjs', 'embedded'),
    '@fastify/http-proxy': node('servers.mjs', 'fastify'),
    'plain node:http': node('plain-proxy.mjs'),
  };

  const backend = start(
    ['taskset', '-c', '1', 'nginx', '-c', backendConf, '-p', join(dir, 'backend')],
    'backend',
  );
  await waitForPort(backendPort);
  const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
  console.log(
    `${version}, node ${process.version}; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s GET ${TARGET}; ` +
      `proxy on core 0, wrk + backend on core 1`,
  );
  const results = {};
  for (let round = 1; round <= ROUNDS; round++) {
    const load = loadavg()[0].toFixed(1);
    const names = Object.keys(proxies);
    // Alternate the order between rounds.
    if (round % 2 === 0) names.reverse();
    const row = {};
    for (const name of names) row[name] = await measure(await proxies[name]());
    console.log(`\nround ${round} (load average ${load} -> ${loadavg()[0].toFixed(1)})`);
    const n = row.nginx;
    for (const name of Object.keys(proxies)) {
      const r = row[name];
      (results[name] ??= []).push(r);
      console.log(
        `  ${name.padEnd(20)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99.padStart(8)}  ` +
          `${r.cpuUs.toFixed(0).padStart(4)} µs CPU/req  ` +
          `vs nginx: ${(r.rps / n.rps).toFixed(2)}x req/s, ${(n.cpuUs / r.cpuUs).toFixed(2)}x per CPU` +
          (r.errors ? `  (${r.errors})` : ''),
      );
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nmedian of ${ROUNDS} rounds`);
  const nRps = median(results.nginx.map((r) => r.rps));
  const nCpu = median(results.nginx.map((r) => r.cpuUs));
  for (const [name, rs] of Object.entries(results)) {
    const rps = median(rs.map((r) => r.rps));
    const cpu = median(rs.map((r) => r.cpuUs));
    console.log(
      `  ${name.padEnd(20)} ${rps.toFixed(0).padStart(6)} req/s  ${cpu.toFixed(0).padStart(4)} µs CPU/req  ` +
        `vs nginx: ${(rps / nRps).toFixed(2)}x req/s, ${(nCpu / cpu).toFixed(2)}x per CPU`,
    );
  }
  await stop(backend);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
