// The switchyard-ingress executable (built dist/main.js) before it starts: help and a refused
// flag, as exit codes and output. A start that fails is the same runApp path switchyard-dns's
// main test drives.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/flags.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('switchyard-ingress main', { timeout: 30_000 }, () => {
  it('prints its usage for -h (exit 0) and after a refused flag (exit 2)', () => {
    const help = spawnSync(process.execPath, [MAIN, '-h'], { encoding: 'utf8', env: {} });
    expect([help.status, help.stdout]).toEqual([0, `${USAGE}\n`]);
    for (const [args, reason] of [
      [['--http-port', '0'], '--http-port: must be a whole number from 1 to 65535, got 0'],
      [['--publish-address'], '--publish-address: needs a value'],
      [['--gateway-controller=mine'], '--gateway-controller: must be DOMAIN/PATH, got mine'],
    ] as const) {
      const bad = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: {} });
      expect([bad.status, bad.stderr]).toEqual([2, `switchyard-ingress: ${reason}\n\n${USAGE}\n`]);
    }
  });
});
