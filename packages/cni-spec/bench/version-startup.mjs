// How much the skeleton adds to a plugin's process start: wall time of the example loopback
// plugin answering VERSION, against the anchor `node -e ''` (a bare Node start), in the same run.
// Build first: npx tsc -b examples/cni-plugin-loopback/tsconfig.lib.json
// Usage: node packages/cni-spec/bench/version-startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const plugin = join(root, 'examples', 'cni-plugin-loopback', 'dist', 'main.js');
if (!existsSync(plugin)) {
  console.error(`missing ${plugin}: build the example first`);
  process.exit(1);
}
const runs = Number(process.argv[2] ?? 30);

const cases = {
  "node -e ''": { argv: ['-e', ''], env: process.env, input: '' },
  'example plugin VERSION': {
    argv: [plugin],
    env: { ...process.env, CNI_COMMAND: 'VERSION' },
    input: '{"cniVersion":"1.1.0"}',
  },
};

function once({ argv, env, input }) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { env, input });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// Interleave the cases so machine load affects both alike; one warm-up each.
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const c of Object.values(cases)) once(c);
for (let i = 0; i < runs; i++) {
  for (const [name, c] of Object.entries(cases)) times[name].push(once(c));
}

const anchor = median(times["node -e ''"]);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(24)} median ${m.toFixed(1)} ms  min ${Math.min(...xs).toFixed(1)} ms  ratio ${(m / anchor).toFixed(2)}x`,
  );
}
console.log(
  `ratio (plugin VERSION / node -e ''): ${(median(times['example plugin VERSION']) / anchor).toFixed(2)}`,
);
