// Cold start to the first list: a fresh `node` loads credentials from a kubeconfig, builds a
// KubeClient and lists namespaces, as every Switchyard app does at start. The anchor is
// client-node's KubeConfig (what loadKubeConfig returned before it read kubeconfigs itself),
// measured in the same run, alternating. Needs the built dist/ and a reachable apiserver:
//   node packages/kube/bench/first-list.mjs /path/to/kubeconfig [runs]
// Prints, per loader, the median wall time (spawn to exit) and CPU time (user+system of the
// child, node start included), and ours / client-node.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [kubeconfig, runsArg = '5'] = process.argv.slice(2);
const child = process.env.FIRST_LIST_CHILD;
if (child) await childMain(child, kubeconfig);
else if (!kubeconfig) {
  console.error('usage: node first-list.mjs KUBECONFIG [runs]');
  process.exit(2);
} else parentMain(kubeconfig, Number(runsArg));

async function childMain(loader, path) {
  const kube = await import('../dist/index.js');
  let creds;
  if (loader === 'ours') creds = await kube.loadKubeConfig(path, 'in-cluster');
  else {
    const { KubeConfig } = await import('@kubernetes/client-node');
    creds = new KubeConfig();
    creds.loadFromFile(path);
  }
  const list = await new kube.KubeClient(creds).request('GET', '/api/v1/namespaces');
  if (!Array.isArray(list?.items)) throw new Error('no namespace list');
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 }));
}

function parentMain(path, runs) {
  const self = fileURLToPath(import.meta.url);
  const samples = { 'client-node': [], ours: [] };
  for (let i = 0; i < runs; i++) {
    for (const loader of Object.keys(samples)) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [self, path], {
        env: { ...process.env, FIRST_LIST_CHILD: loader },
        encoding: 'utf8',
      });
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${loader} run failed: ${r.stderr}`);
      samples[loader].push({ wallMs, cpuMs: JSON.parse(r.stdout).cpuMs });
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (loader) => {
    const s = samples[loader];
    const wall = median(s.map((x) => x.wallMs));
    const cpu = median(s.map((x) => x.cpuMs));
    const all = s.map((x) => `${x.wallMs.toFixed(0)}/${x.cpuMs.toFixed(0)}`).join(' ');
    console.log(
      `${loader.padEnd(12)} wall ${wall.toFixed(0)} ms  cpu ${cpu.toFixed(0)} ms  (wall/cpu ms: ${all})`,
    );
    return { wall, cpu };
  };
  const anchor = row('client-node');
  const ours = row('ours');
  console.log(
    `ours / client-node: wall ${(ours.wall / anchor.wall).toFixed(2)}, cpu ${(ours.cpu / anchor.cpu).toFixed(2)}`,
  );
}
