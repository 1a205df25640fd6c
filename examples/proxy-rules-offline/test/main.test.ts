import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, runUnchecked } from '@switchyard/linux';

// The built entry point, run as the README runs it.
const HERE = resolve(import.meta.dirname, '..');
const MAIN = resolve(HERE, 'dist', 'main.js');
const CLUSTER = resolve(HERE, 'cluster.yaml');

beforeAll(async () => {
  await run(['npx', 'tsc', '-b', resolve(HERE, 'tsconfig.lib.json')]);
}, 120_000);

describe('proxy-rules-offline (dist/main.js)', () => {
  it('prints the ruleset and a trace, exit 0', async () => {
    const rules = await run(['node', MAIN, CLUSTER]);
    expect(rules.stdout).toMatch(/^add table inet switchyard-proxy\n/);
    const traced = await run([
      'node',
      MAIN,
      CLUSTER,
      '--trace',
      'tcp',
      '203.0.113.9',
      '192.168.0.10:30443',
      '--from',
      'outside',
    ]);
    expect(traced.stdout).toContain('1. DROP (silently discarded)');
  });

  it('exits 2 with the usage on a bad command line, 1 on a bad file', async () => {
    const usage = await runUnchecked(['node', MAIN, CLUSTER, '--trace', 'tcp']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('--trace needs a value');
    expect(usage.stderr).toContain('usage:');
    const missing = await runUnchecked(['node', MAIN, resolve(HERE, 'no-such.yaml')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
  });
});
