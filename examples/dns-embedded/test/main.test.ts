import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// The built entry point, run as the README runs it (port 0: any free port).
const HERE = resolve(import.meta.dirname, '..');
const MAIN = resolve(HERE, 'dist', 'main.js');

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', resolve(HERE, 'tsconfig.lib.json')], { stdio: 'pipe' });
}, 120_000);

/** Resolves with the first stdout line matching `pattern`. */
async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  let text = '';
  for await (const chunk of child.stdout ?? []) {
    text += String(chunk);
    const m = pattern.exec(text);
    if (m) return m;
  }
  throw new Error(`exited before printing ${pattern}: ${text}`);
}

describe('dns-embedded (dist/main.js)', () => {
  it('answers on the port it prints and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [, host, port] = await waitForLine(child, /answering corp\.test on ([\d.]+):(\d+)/);
      const resolver = new Resolver({ timeout: 2000, tries: 2 });
      resolver.setServers([`${host}:${port}`]);
      expect(await resolver.resolve4('cart.shop.svc.corp.test')).toEqual(['10.50.0.10']);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
