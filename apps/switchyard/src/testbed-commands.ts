import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  COMPONENTS,
  DEFAULT_NAME,
  nodeNetns,
  openTestbed,
  startTestbed,
  stopTestbed,
  testbedStatus,
} from '@switchyard/testbed';
import type { Command, ExecTarget } from './args.js';

/** The testbed a command acts on: --name, else $SWITCHYARD_TESTBED, else "main". */
export function testbedName(flag?: string): string {
  return flag ?? process.env.SWITCHYARD_TESTBED ?? DEFAULT_NAME;
}

export async function up(cmd: Extract<Command, { kind: 'up' }>): Promise<number> {
  const t0 = Date.now();
  const name = testbedName(cmd.name);
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const tb = await startTestbed({
    name,
    ...(cmd.nodes !== undefined ? { nodes: cmd.nodes } : {}),
    ...(cmd.underlay !== undefined ? { underlay: cmd.underlay } : {}),
    ...(cmd.cni !== undefined ? { cni: cmd.cni } : {}),
    // The whole distribution unless told otherwise (an external CNI has no pod network yet).
    components: cmd.components ?? (cmd.cni === 'external' ? [] : COMPONENTS),
    // Keep a failed start in place so its logs can be read; `down` removes it.
    keepOnFailure: true,
    log: (line) => console.log(`[${elapsed()}] ${line}`),
  });
  console.log(`testbed ${name} is up (${elapsed()})`);
  const status = await testbedStatus(name, tb.options.stateRoot);
  for (const n of status.nodes ?? []) {
    console.log(`  ${n.name}  InternalIP ${n.internalIP}  podCIDR ${n.podCIDR}`);
  }
  const sel = cmd.name ? ` --name ${name}` : '';
  console.log(`  kubeconfig: ${tb.kubeconfigPath}`);
  console.log(`  try: switchyard testbed kubectl get nodes -o wide`);
  console.log(`  down: switchyard testbed down${sel}`);
  return 0;
}

export async function down(cmd: Extract<Command, { kind: 'down' }>): Promise<number> {
  const name = testbedName(cmd.name);
  const r = await stopTestbed(name);
  if (!r.stateDirRemoved && r.netns.length === 0 && r.stoppedProcesses === 0) {
    console.log(`testbed ${name} was not up; nothing to remove`);
    return 0;
  }
  console.log(
    `testbed ${name} is down: stopped ${r.stoppedProcesses} processes, killed ${r.killedProcesses} more, ` +
      `removed ${r.netns.length} namespaces and ${r.files.length} /etc/netns entries`,
  );
  return 0;
}

export async function status(cmd: Extract<Command, { kind: 'status' }>): Promise<number> {
  const s = await testbedStatus(testbedName(cmd.name));
  if (cmd.json) {
    console.log(JSON.stringify(s, null, 2));
  } else if (s.phase === 'down') {
    console.log(`testbed ${s.name}: down`);
  } else {
    console.log(`testbed ${s.name}: ${s.phase} (state ${s.stateDir})`);
    for (const p of s.processes) {
      console.log(
        `  ${p.alive ? 'running' : 'DEAD   '}  ${p.role.padEnd(24)} pid ${p.pid}  log ${p.log}`,
      );
    }
    if (s.nodes) {
      for (const n of s.nodes) {
        console.log(
          `  node ${n.name}: ${n.ready ? 'Ready' : 'NotReady'}  ${n.internalIP}  podCIDR ${n.podCIDR ?? '-'}`,
        );
      }
    } else {
      console.log(`  apiserver not answering: ${s.apiError}`);
    }
    console.log(`  kubeconfig: ${s.kubeconfig}`);
  }
  return s.phase === 'ready' || s.phase === 'down' ? 0 : 1;
}

export async function kubectl(args: readonly string[]): Promise<number> {
  const tb = await openTestbed(testbedName());
  return passthrough([tb.kubectlPath, `--kubeconfig=${tb.kubeconfigPath}`, ...args]);
}

export async function exec(target: ExecTarget, command: readonly string[]): Promise<number> {
  const tb = await openTestbed(testbedName());
  if ('node' in target && !tb.nodes.some((n) => n.name === target.node)) {
    const names = tb.nodes.map((n) => n.name).join(', ');
    console.error(`no node ${target.node} in testbed ${tb.name} (nodes: ${names})`);
    return 1;
  }
  const netns =
    'node' in target
      ? nodeNetns(tb.layout.netnsPrefix, target.node)
      : await tb.podNetns(target.namespace, target.pod);
  return passthrough(['ip', 'netns', 'exec', netns, ...command]);
}

export async function logs(cmd: Extract<Command, { kind: 'logs' }>): Promise<number> {
  const tb = await openTestbed(testbedName());
  const path = await tb.podLogPath(cmd.namespace, cmd.pod, cmd.container);
  try {
    process.stdout.write(await readFile(path));
    return 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    console.error(`no output yet (the container has not started): ${path}`);
    return 1;
  }
}

/** `npm run demo`: the repository's scripts/demo.sh (this file is apps/switchyard/dist/). */
export function demo(): Promise<number> {
  const script = fileURLToPath(new URL('../../../scripts/demo.sh', import.meta.url));
  return passthrough(['bash', script]);
}

/** Runs a command with our stdio and returns its exit code (128+N when killed by signal N). */
function passthrough(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', (e) => {
      console.error(`${argv[0]}: ${e.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) =>
      resolve(code ?? (signal ? 128 + constants.signals[signal] : 1)),
    );
  });
}
