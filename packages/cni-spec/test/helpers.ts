import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RECORDER = join(PACKAGE_DIR, 'test', 'fixtures', 'recorder-plugin.mjs');
export const CNITOOL = join(PACKAGE_DIR, 'dist', 'bin', 'cnitool.js');

/** Process-level tests run the built package; say so clearly instead of failing obscurely. */
export function requireBuild(): void {
  if (!existsSync(join(PACKAGE_DIR, 'dist', 'index.js'))) {
    throw new Error('build first: npx tsc -b packages/cni-spec/tsconfig.lib.json');
  }
}

const tempDirs: string[] = [];

/** A fresh directory under the system temp dir, removed by `removeTempDirs`. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A temp dir with the recorder plugin linked under each of `types`. */
export async function pluginDir(types: readonly string[]): Promise<string> {
  const dir = await tempDir('cni-spec-bin');
  await chmod(RECORDER, 0o755);
  for (const t of types) await symlink(RECORDER, join(dir, t));
  return dir;
}

/** Writes an executable shell script plugin. */
export async function scriptPlugin(dir: string, name: string, body: string): Promise<void> {
  await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

export interface LogLine {
  plugin: string;
  verb: string;
  containerId: string;
  ifName: string;
  netns: string;
  args: string;
  wrapped: string | null;
  config: Record<string, unknown>;
}

export async function readLog(file: string): Promise<LogLine[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
}

export interface Spawned {
  pid: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and also reports its PID (to find namespaces it named). */
export function spawnCollect(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Spawned> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ pid: child.pid ?? -1, code: code ?? -1, stdout, stderr }),
    );
  });
}
