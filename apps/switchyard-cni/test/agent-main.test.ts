// The switchyard-agent executable (built dist/agent/main.js) before it touches anything: help,
// and a refused flag or variable, as exit codes and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/agent/options.js';

const MAIN = fileURLToPath(new URL('../dist/agent/main.js', import.meta.url));

describe('switchyard-agent main', { timeout: 30_000 }, () => {
  it('prints its usage for --help and exits 0', () => {
    const r = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', env: {} });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, USAGE, '']);
  });

  it.each([
    [['--pod-cidr', '10.244.1.0/24,10.244.2.5/24'], {}, '--pod-cidr: '],
    [[], { OVERLAY_MODE: 'gre' }, '--overlay-mode: must be one of vxlan, direct, auto or none'],
    [['--mtu'], {}, '--mtu: needs a value'],
    [['--vni=0'], { NODE_NAME: 'n1' }, '--vni: must be a whole number from 1 to 16777215'],
  ])('refuses %j with %j: exit 2, the reason, then the usage', (args, env, reason) => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`switchyard-agent: ${reason}`)).toBe(true);
    expect(r.stderr.endsWith(`\n\n${USAGE}`)).toBe(true);
  });
});
