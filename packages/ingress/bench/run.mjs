// Benchmark (not a test): wrk against our proxy, against nginx with the same route to the same
// backend (the anchor) and against a bare node:http proxy (the floor: Node itself), each proxy pinned to core 0, wrk and the backend on core 1, keep-alive on both
// sides. Prints req/s, p99 and the ratio. Needs wrk, nginx and taskset; build first:
//   npx tsc -b packages/ingress/tsconfig.lib.json && node packages/ingress/bench/run.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DURATION = process.env.BENCH_DURATION ?? '10s';
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '50';

const missing = ['wrk', 'nginx', 'taskset'].filter(
  (b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0,
);
if (missing.length > 0) {
  console.log(
    `bench skipped: missing ${missing.join(', ')} (apt-get install -y wrk nginx-light util-linux)`,
  );
  process.exit(0);
}

/** A free loopback port (bind to 0, read it, close). */
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

const children = [];
function start(argv, name) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  children.push(child);
  return child;
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

/** CPU time (user + system) a process has used, in milliseconds, from /proc. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/**
 * One wrk run against a proxy process. Besides req/s (which on a shared machine mostly measures
 * how much CPU the scheduler gave the proxy), it reports the proxy's CPU time per request, which
 * does not depend on how busy the machine is.
 */
function wrk(port, pid) {
  const before = cpuMs(pid);
  const r = spawnSync(
    'taskset',
    [
      '-c',
      '1',
      'wrk',
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${DURATION}`,
      '--latency',
      '-H',
      'Host: bench.test',
      `http://127.0.0.1:${port}/`,
    ],
    {
      encoding: 'utf8',
    },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(r.stdout)?.[1] ?? '?';
  const errors =
    /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout)?.[0] ?? 'none';
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  const cpuUsPerRequest = ((cpuMs(pid) - before) * 1000) / requests;
  return { rps, p99, errors, cpuUsPerRequest };
}

const dir = mkdtempSync(join(tmpdir(), 'sy-ingress-bench-'));
try {
  const [backendPort, nginxPort, oursPort, plainPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // The shared backend: a static nginx answer, so the proxies (not the backend) are the limit.
  const backendDir = join(dir, 'backend');
  const proxyDir = join(dir, 'proxy');
  for (const d of [backendDir, proxyDir]) spawnSync('mkdir', ['-p', d]);
  const backendConf = nginxConfig(
    backendDir,
    `  server { listen 127.0.0.1:${backendPort}; location / { return 200 "hello\\n"; } }`,
  );
  const proxyConf = nginxConfig(
    proxyDir,
    `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    server_name bench.test;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; }
  }`,
  );
  start(['taskset', '-c', '1', 'nginx', '-c', backendConf, '-p', backendDir], 'backend');
  await waitForPort(backendPort);

  const nginx = start(['taskset', '-c', '0', 'nginx', '-c', proxyConf, '-p', proxyDir], 'nginx');
  await waitForPort(nginxPort);
  wrk(nginxPort, nginx.pid); // warm-up, discarded
  const n = wrk(nginxPort, nginx.pid);
  nginx.kill('SIGTERM');

  const node = async (script, port, name) => {
    const child = start(
      [
        'taskset',
        '-c',
        '0',
        process.execPath,
        join(here, script),
        String(port),
        String(backendPort),
      ],
      name,
    );
    await waitForPort(port);
    wrk(port, child.pid); // warm-up, discarded
    const result = wrk(port, child.pid);
    child.kill('SIGTERM');
    return result;
  };
  const o = await node('proxy-server.mjs', oursPort, 'ours');
  const p = await node('plain-proxy.mjs', plainPort, 'plain');

  console.log(
    `wrk -c${CONNECTIONS} -d${DURATION}, proxies pinned to core 0, wrk + backend on core 1`,
  );
  const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
    .stderr.trim()
    .replace('nginx version: ', '');
  const line = (name, r) =>
    console.log(
      `${name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99}, CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request, errors ${r.errors}`,
    );
  line(`nginx ${version}`, n);
  line('@switchyard/ingress', o);
  line('plain node:http proxy (no routing)', p);
  console.log(`ratio ours/nginx: ${(o.rps / n.rps).toFixed(2)}x`);
  console.log(`ratio ours/plain node proxy: ${(o.rps / p.rps).toFixed(2)}x`);
  // Throughput per core if each had a core to itself: the CPU-cost ratio, immune to other load.
  console.log(`CPU-cost ratio nginx/ours: ${(n.cpuUsPerRequest / o.cpuUsPerRequest).toFixed(2)}x`);
  console.log(`CPU-cost ratio plain/ours: ${(p.cpuUsPerRequest / o.cpuUsPerRequest).toFixed(2)}x`);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
