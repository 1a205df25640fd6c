import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpAddress } from '../src/ip-address.js';
import { cniBinDir, requireBuilt, runPlugin, snapshot, startPlugin, tempDir } from './helpers.js';

let root: ReturnType<typeof tempDir>;
let plugin: string;

beforeAll(() => {
  root = tempDir('crash');
  plugin = join(cniBinDir(root.path), 'switchyard-ipam');
});
afterAll(() => root.cleanup());

interface Churn {
  added: Map<string, string[]>;
  deleting: Set<string>;
}

/** Runs the churn loop in a child and SIGKILLs it `afterMs` after its first completed ADD. */
async function churnAndKill(
  config: object,
  prefix: string,
  afterMs: number,
  into: Churn,
): Promise<number> {
  const child = spawn(
    'node',
    [
      new URL('fixtures/churn.mjs', import.meta.url).pathname,
      requireBuilt('plugin/ipam-plugin.js'),
      JSON.stringify(config),
      prefix,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (!out.includes('added') && child.exitCode === null) await sleep(5);
  await sleep(afterMs);
  child.kill('SIGKILL');
  await exited;
  let iterations = 0;
  for (const line of out.split('\n')) {
    const [verb, id, ...addrs] = line.split(' ');
    if (verb === 'added') {
      into.added.set(
        id!,
        addrs.map((a) => a.split('/')[0]!),
      );
      iterations++;
    }
    if (verb === 'deleting') into.deleting.add(id!);
  }
  return iterations;
}

describe('switchyard-ipam killed with SIGKILL at random points', () => {
  it('GC afterwards returns the store to exactly the live set', { timeout: 90_000 }, async () => {
    const config = {
      cniVersion: '1.1.0',
      name: 'crash',
      type: 'bridge',
      ipam: {
        type: 'switchyard-ipam',
        dataDir: root.path,
        ranges: [[{ subnet: '10.72.0.0/20' }], [{ subnet: 'fd00:72::/64' }]],
      },
    };
    const dir = join(root.path, 'crash');
    const churn: Churn = { added: new Map(), deleting: new Set() };
    let iterations = 0;
    // Three loops at once on one dataDir, so some die holding the lock while others wait for it.
    // Rounds continue until there were 300 iterations (or 25 s passed: this machine may be busy).
    const started = Date.now();
    for (let round = 0; iterations < 300 && Date.now() - started < 25_000; round++) {
      const counts = await Promise.all(
        [0, 1, 2].map((k) =>
          churnAndKill(config, `r${round}k${k}`, 200 + Math.floor(Math.random() * 1000), churn),
        ),
      );
      iterations += counts.reduce((a, b) => a + b, 0);
    }
    // Whole plugin processes killed anywhere between start-up and exit.
    const execs = Array.from({ length: 12 }, (_, i) => {
      const run = startPlugin(plugin, 'ADD', config, { containerId: `exec-${i}` });
      setTimeout(() => run.child.kill('SIGKILL'), Math.floor(Math.random() * 400));
      return run.done;
    });
    const execIds = new Set<string>();
    for (const [i, r] of (await Promise.all(execs)).entries()) {
      if (r.status === 0) {
        execIds.add(`exec-${i}`);
        churn.added.set(
          `exec-${i}`,
          (r.json as { ips: { address: string }[] }).ips.map((x) => x.address.split('/')[0]!),
        );
      }
    }
    expect(iterations).toBeGreaterThan(200);

    // Before GC: every file is whole, and every acknowledged live attachment owns its addresses.
    const before = snapshot(dir);
    for (const [name, content] of Object.entries(before)) {
      if (IpAddress.tryParse(name)) expect(content, name).toMatch(/^[\w-]+\r\neth0$/);
    }
    const live = [...churn.added.keys()].filter((id) => !churn.deleting.has(id));
    for (const id of live) {
      for (const a of churn.added.get(id)!)
        expect(before[a], `${a} of ${id}`).toBe(`${id}\r\neth0`);
    }

    const valid = live.map((id) => ({ containerID: id, ifname: 'eth0' }));
    const gc = runPlugin(plugin, 'GC', { ...config, 'cni.dev/valid-attachments': valid });
    expect(gc.status, gc.stdout).toBe(0);

    const after = snapshot(dir);
    const expected: Record<string, string> = {};
    for (const id of live) for (const a of churn.added.get(id)!) expected[a] = `${id}\r\neth0`;
    const allocations = Object.fromEntries(
      Object.entries(after).filter(([name]) => IpAddress.tryParse(name)),
    );
    expect(allocations).toEqual(expected);
    const others = Object.keys(after).filter((name) => !IpAddress.tryParse(name));
    expect(others.sort()).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
    expect(IpAddress.tryParse(after['last_reserved_ip.0']!)?.family).toBe(4);
    // The store still works.
    expect(runPlugin(plugin, 'ADD', config, { containerId: 'after-crash' }).status).toBe(0);
  });
});
