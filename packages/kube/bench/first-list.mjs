// Cold start to the first list: a fresh `node` loads credentials from a kubeconfig, builds a
// KubeClient and lists namespaces, as every Switchyard app does at start. The anchor is
// client-node's KubeConfig (what loadKubeConfig returned before it read kubeconfigs itself),
// measured in the same run, alternating. Needs the built dist/ and a reachable apiserver:
//   node packages/kube/bench/first-list.mjs /path/to/kubeconfig [runs]
// Prints, per loader, the median wall time (spawn to the first list) and CPU time (user+system
// of the child, node start included, up to the first list), then the CPU of each of 20 more lists
// (client-node's KubeConfig sets a new agent per request: a TLS handshake each time), and the
// ratios ours / client-node.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [kubeconfig, runsArg = '5'] = process.argv.slice(2);
const child = process.env.FIRST_LIST_CHILD;
if (child) await childMain(child, kubeconfig);
else if (!kubeconfig) {
  console.error('usage: node first-list.mjs KUBECONFIG [runs]');
  process.exit(2);
} else await parentMain(kubeconfig, Number(runsArg));

async function childMain(loader, path) {
  const kube = await import('../dist/index.js');
  let creds;
  if (loader === 'ours') creds = await kube.loadKubeConfig(path, 'in-cluster');
  else {
    const { KubeConfig } = await import('@kubernetes/client-node');
    creds = new KubeConfig();
    creds.loadFromFile(path);
  }
  const client = new kube.KubeClient(creds);
  const list = await client.request('GET', '/api/v1/namespaces');
  if (!Array.isArray(list?.items)) throw new Error('no namespace list');
  const cpu = process.cpuUsage();
  const ms = (c) => (c.user + c.system) / 1000;
  // The first line marks the first list for the parent's clock.
  process.stdout.write(`${JSON.stringify({ cpuMs: ms(cpu) })}\n`);
  for (let i = 0; i < 20; i++) await client.request('GET', '/api/v1/namespaces');
  process.stdout.write(`${JSON.stringify({ perListCpuMs: ms(process.cpuUsage(cpu)) / 20 })}\n`);
}

async function parentMain(path, runs) {
  const self = fileURLToPath(import.meta.url);
  const samples = { 'client-node': [], ours: [] };
  for (let i = 0; i < runs; i++) {
    for (const loader of Object.keys(samples))
      samples[loader].push(await runChild(self, path, loader));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (loader) => {
    const s = samples[loader];
    const wall = median(s.map((x) => x.wallMs));
    const cpu = median(s.map((x) => x.cpuMs));
    const perList = median(s.map((x) => x.perListCpuMs));
    const all = s.map((x) => `${x.wallMs.toFixed(0)}/${x.cpuMs.toFixed(0)}`).join(' ');
    console.log(
      `${loader.padEnd(12)} first list: wall ${wall.toFixed(0)} ms, cpu ${cpu.toFixed(0)} ms ` +
        `(each run wall/cpu: ${all}); then ${perList.toFixed(1)} ms cpu per list`,
    );
    return { wall, cpu, perList };
  };
  const anchor = row('client-node');
  const ours = row('ours');
  console.log(
    `ours / client-node: wall ${(ours.wall / anchor.wall).toFixed(2)}, ` +
      `cpu to the first list ${(ours.cpu / anchor.cpu).toFixed(2)}, ` +
      `cpu per later list ${(ours.perList / anchor.perList).toFixed(2)}`,
  );
}

/** Spawns one child; wall time is from spawn to its first line (the first list done). */
function runChild(self, path, loader) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [self, path], {
      env: { ...process.env, FIRST_LIST_CHILD: loader },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let wallMs;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (wallMs === undefined) wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${loader} run exited ${code}`));
      const [first, second] = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      resolve({ wallMs, cpuMs: first.cpuMs, perListCpuMs: second.perListCpuMs });
    });
  });
}
