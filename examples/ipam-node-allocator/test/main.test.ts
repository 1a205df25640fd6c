import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built entry point, run as the README runs it.
const HERE = resolve(import.meta.dirname, '..');
const MAIN = resolve(HERE, 'dist', 'main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'sy-ipam-main-'));

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', resolve(HERE, 'tsconfig.lib.json')], { stdio: 'pipe' });
}, 120_000);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const main = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(
    process.execPath,
    [MAIN, '--pod-cidr', '10.244.9.0/30', '--data-dir', dataDir, ...args],
    {
      encoding: 'utf8',
    },
  );

describe('ipam-node-allocator (dist/main.js)', () => {
  it('allocates until the range is full, then exits 1 naming CNI code 100', () => {
    // A /30: only .2 is left between the gateway (.1) and the broadcast address (.3).
    expect(main('allocate', 'pod-a')).toMatchObject({ status: 0, stdout: '10.244.9.2/30\n' });
    const full = main('allocate', 'pod-b');
    expect(full.status).toBe(1);
    expect(full.stderr).toContain('(CNI code 100)');
    expect(main('list').stdout).toBe('10.244.9.2 pod-a eth0\n');
  });

  it('exits 2 with the usage on a bad command line', () => {
    const bad = main('allocate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: ipam-node-allocator');
  });
});
