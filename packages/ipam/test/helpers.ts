import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOST_LOCAL = '/usr/lib/cni/host-local';

/** A fresh directory under the OS temp dir; `cleanup` removes it. */
export function tempDir(label: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `sy-ipam-${label}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every file of a store directory with its exact bytes (as text), for byte-level comparisons. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = readFileSync(join(dir, name), 'latin1');
  return out;
}

export interface PluginRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  json: unknown;
}

export interface PluginEnv {
  containerId?: string;
  ifName?: string;
  args?: string;
  path?: string;
}

function pluginEnv(command: string, env: PluginEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: env.containerId ?? 'c0',
    CNI_NETNS: '/var/run/netns/none',
    CNI_IFNAME: env.ifName ?? 'eth0',
    CNI_ARGS: env.args ?? '',
    CNI_PATH: env.path ?? '/usr/lib/cni',
  };
}

function finish(status: number | null, signal: NodeJS.Signals | null, stdout: string): PluginRun {
  let json: unknown;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { status, signal, stdout, json };
}

/** Runs a CNI plugin executable once with the CNI_* environment and `config` on stdin. */
export function runPlugin(
  executable: string,
  command: string,
  config: unknown,
  env: PluginEnv = {},
): PluginRun {
  const r = spawnSync(executable, [], {
    input: typeof config === 'string' ? config : JSON.stringify(config),
    env: pluginEnv(command, env),
  });
  return finish(r.status, r.signal, r.stdout.toString());
}

/** Like runPlugin, without blocking: many can run at once. */
export function startPlugin(
  executable: string,
  command: string,
  config: unknown,
  env: PluginEnv = {},
): { child: ChildProcess; done: Promise<PluginRun> } {
  const child = spawn(executable, [], {
    env: pluginEnv(command, env),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(typeof config === 'string' ? config : JSON.stringify(config));
  const done = new Promise<PluginRun>((resolve) =>
    child.on('close', (status, signal) => resolve(finish(status, signal, stdout))),
  );
  return { child, done };
}

/** The built package; subprocess tests run it (npm test builds before testing). */
export const DIST = new URL('../dist/', import.meta.url).pathname;

/** Fails with a clear message when the package has not been built. */
export function requireBuilt(file: string): string {
  const path = join(DIST, file);
  if (!existsSync(path)) {
    throw new Error(`${path} missing: run "npx tsc -b packages/ipam/tsconfig.lib.json" first`);
  }
  return path;
}

/**
 * A CNI_PATH directory under `root`: symlinks to every reference plugin in /usr/lib/cni plus a
 * `switchyard-ipam` wrapper script that runs our built plugin with node. Returns its path.
 */
export function cniBinDir(root: string): string {
  const bin = join(root, 'cni-bin');
  mkdirSync(bin, { recursive: true });
  for (const name of readdirSync('/usr/lib/cni'))
    symlinkSync(join('/usr/lib/cni', name), join(bin, name));
  const plugin = requireBuilt('bin/switchyard-ipam.js');
  writeFileSync(join(bin, 'switchyard-ipam'), `#!/bin/sh\nexec node ${plugin}\n`, { mode: 0o755 });
  return bin;
}
