import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// The built entry point, run as the README runs it (port 0: any free port).
const HERE = resolve(import.meta.dirname, '..');
const MAIN = resolve(HERE, 'dist', 'main.js');

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', resolve(HERE, 'tsconfig.lib.json')], { stdio: 'pipe' });
}, 120_000);

/** Collects stdout and resolves with the first match of `pattern` in it. */
function watch(child: ChildProcess): {
  output: () => string;
  until: (p: RegExp) => Promise<RegExpMatchArray>;
} {
  let text = '';
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters.splice(0)) w();
  });
  const until = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      const m = pattern.exec(text);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`exited before printing ${pattern}: ${text}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { output: () => text, until };
}

function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    request(url, { headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('ingress-embedded (dist/main.js)', () => {
  it('routes on the URL it prints, logs each request, exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const out = watch(child);
      const [, url] = await out.until(/routing shop\.example on (http:\/\/[\d.]+:\d+)/);
      const r = await get(`${url}/api/items?page=2`, 'shop.example');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ backend: 'api', url: '/items?page=2' });
      // The access log line from onResponse.
      const [line] = await out.until(/^\{"method":"GET".*"url":"\/api\/items\?page=2".*\}$/m);
      expect(JSON.parse(line)).toMatchObject({
        status: 200,
        route: 'Ingress shop/api',
        completed: true,
      });
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
