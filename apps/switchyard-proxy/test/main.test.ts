// The switchyard-proxy executable (built dist/main.js) up to the point where it would need the
// apiserver and nftables: help, a refused flag, and a start that fails, as exit codes and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/options.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('switchyard-proxy main', { timeout: 30_000 }, () => {
  it('prints its usage for --help (exit 0) and after a refused flag (exit 2)', () => {
    const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', env: {} });
    expect([help.status, help.stdout]).toEqual([0, USAGE]);
    const args = [MAIN, '--min-sync-period=5s', '--sync-period=1s'];
    const bad = spawnSync(process.execPath, args, { encoding: 'utf8', env: {} });
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([
      2,
      '',
      `switchyard-proxy: --sync-period: must not be shorter than --min-sync-period\n\n${USAGE}`,
    ]);
  });

  it('exits 1 with a JSON error line when its kubeconfig cannot be read', () => {
    const args = [MAIN, '--kubeconfig=/nonexistent/kubeconfig'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { NODE_NAME: 'n1' } });
    expect(r.status).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'cannot start',
        component: 'switchyard-proxy',
        error: expect.stringContaining('ENOENT'),
      }),
    ]);
  });
});
