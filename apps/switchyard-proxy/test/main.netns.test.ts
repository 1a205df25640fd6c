// The switchyard-proxy executable (built dist/main.js) inside a network namespace: `--cleanup`
// deletes our table and nothing else, and a SIGTERM while the start still waits for the apiserver
// ends the process at once with exit 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, createNetns, sweepStaleNetns } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TABLE = 'sy-main-test';

let ns: Netns;
let dir: string;

beforeAll(async () => {
  await sweepStaleNetns();
  ns = await createNetns('proxymain');
  dir = mkdtempSync(join(tmpdir(), 'sy-proxy-main-'));
});

afterAll(async () => {
  await ns?.delete();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tables = async (): Promise<string> => (await ns.exec(['nft', 'list', 'tables'])).stdout;

describe('switchyard-proxy main in a namespace', { timeout: 30_000 }, () => {
  it('--cleanup deletes its table, leaves the others, exits 0, and again when it is gone', async () => {
    await ns.exec(['nft', 'add', 'table', 'inet', TABLE]);
    await ns.exec(['nft', 'add', 'table', 'inet', 'someone-else']);
    for (let i = 0; i < 2; i++) {
      const r = await ns.execUnchecked([process.execPath, MAIN, '--cleanup', `--table=${TABLE}`]);
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ msg: 'table deleted', table: TABLE });
    }
    expect(await tables()).toBe('table inet someone-else\n');
  });

  it('ends at once with exit 0 on SIGTERM while it waits for the apiserver', async () => {
    // Nothing listens on port 9 in the namespace: the start waits, retrying, for the Node.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: { server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const child = ns.spawn([
      process.execPath,
      MAIN,
      `--kubeconfig=${kubeconfig}`,
      `--table=${TABLE}`,
      '--node-name=n1',
      '--health-bind-address=127.0.0.1:0',
    ]);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('"starting"')) {
      if (Date.now() > deadline) throw new Error(`no "starting" line: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const at = Date.now();
    // The signal handlers are in place before the start logs "starting". `ip netns exec` execs
    // node, so the child's pid is the proxy's.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - at).toBeLessThan(2000);
    const msgs = out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs.at(-1)).toBe('stopping before the start finished');
    expect(msgs).not.toContain('started');
  });
});
