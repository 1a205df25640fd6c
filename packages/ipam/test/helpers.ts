import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
  stdout: string;
  json: unknown;
}

/** Runs a CNI plugin executable once with the CNI_* environment and `config` on stdin. */
export function runPlugin(
  executable: string,
  command: string,
  config: unknown,
  env: { containerId?: string; ifName?: string; args?: string; path?: string } = {},
): PluginRun {
  const r = spawnSync(executable, [], {
    input: typeof config === 'string' ? config : JSON.stringify(config),
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: env.containerId ?? 'c0',
      CNI_NETNS: '/var/run/netns/none',
      CNI_IFNAME: env.ifName ?? 'eth0',
      CNI_ARGS: env.args ?? '',
      CNI_PATH: env.path ?? '/usr/lib/cni',
    },
  });
  const stdout = r.stdout.toString();
  let json: unknown;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, stdout, json };
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
