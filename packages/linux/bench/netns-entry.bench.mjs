// Operating inside another network namespace: the CNI ADD core (veth with its peer created in the
// pod namespace, then link up + address + default route inside the pod) done three ways.
//   setns:   @switchyard/linux, an rtnetlink socket opened inside the pod via the setns addon
//   helper:  a Node helper process started under `nsenter --net=PATH` doing the same batch
//   anchor:  iproute2, one `ip -n` command per step (what a shell-script CNI does)
//
//   npx tsc -b packages/linux/tsconfig.lib.json && node packages/linux/bench/netns-entry.bench.mjs
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  Rtnl,
  addAddress,
  addRoute,
  createNetns,
  createVeth,
  run,
  setLink,
  sweepStaleNetns,
} from '@switchyard/linux';

const TRIALS = 10;
const helper = fileURLToPath(new URL('./netns-helper.mjs', import.meta.url));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const ways = {
  async setns(host, hostNl, pod, i) {
    await createVeth(hostNl, { name: `v${i}`, peer: { name: 'eth0', netns: pod }, up: true });
    const nl = Rtnl.open({ netns: pod });
    try {
      await setLink(nl, 'eth0', { up: true });
      await addAddress(nl, 'eth0', '10.240.0.2/24');
      await addRoute(nl, { dst: 'default', gateway: '10.240.0.1', dev: 'eth0' });
    } finally {
      nl.close();
    }
  },
  async helper(host, hostNl, pod, i) {
    await createVeth(hostNl, { name: `v${i}`, peer: { name: 'eth0', netns: pod }, up: true });
    const batch = JSON.stringify({ dev: 'eth0', address: '10.240.0.2/24', gateway: '10.240.0.1' });
    await run(['nsenter', `--net=${pod.path}`, process.execPath, helper, batch]);
  },
  async anchor(host, hostNl, pod, i) {
    await run([
      'ip',
      '-n',
      host.name,
      'link',
      'add',
      `v${i}`,
      'up',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      pod.name,
    ]);
    await run(['ip', '-n', pod.name, 'link', 'set', 'eth0', 'up']);
    await run(['ip', '-n', pod.name, 'addr', 'add', '10.240.0.2/24', 'dev', 'eth0']);
    await run([
      'ip',
      '-n',
      pod.name,
      'route',
      'add',
      'default',
      'via',
      '10.240.0.1',
      'dev',
      'eth0',
    ]);
  },
};

await sweepStaleNetns();
const host = await createNetns('host');
const hostNl = Rtnl.open({ netns: host });
const times = { setns: [], helper: [], anchor: [] };
try {
  let i = 0;
  for (let t = 0; t < TRIALS; t++) {
    for (const [name, fn] of Object.entries(ways)) {
      const pod = await createNetns('pod');
      try {
        const t0 = process.hrtime.bigint();
        await fn(host, hostNl, pod, i++);
        times[name].push(ms(t0));
        const { stdout } = await pod.exec(['ip', 'route', 'show', 'default']);
        if (!stdout.includes('via 10.240.0.1 dev eth0'))
          throw new Error(`${name}: no default route in the pod`);
      } finally {
        await pod.delete();
      }
    }
  }
} finally {
  hostNl.close();
  await host.delete();
}
const anchor = median(times.anchor);
const load = loadavg()[0].toFixed(1);
console.log(
  `veth into a pod namespace + link up + address + default route, ${TRIALS} trials (load ${load} on ${cpus().length} CPUs)`,
);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  const ratio = (m / anchor).toFixed(2);
  console.log(
    `  ${name.padEnd(7)} median ${m.toFixed(2).padStart(8)} ms  min ${Math.min(...xs)
      .toFixed(2)
      .padStart(8)} ms  ${ratio}x the iproute2 anchor`,
  );
}
