import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CniError,
  CniRuntime,
  SUPPORTED_VERSIONS,
  parseConfList,
  versionAtLeast,
} from '@switchyard/cni-spec';
import { createNetns, liveNetns, sweepStaleNetns, type Netns } from '@switchyard/linux';

const HERE = import.meta.dirname;
const MAIN = resolve(HERE, '..', 'dist', 'main.js');
const CNITOOL = resolve(
  HERE,
  '..',
  '..',
  '..',
  'packages',
  'cni-spec',
  'dist',
  'bin',
  'cnitool.js',
);

let bin: string;

beforeAll(async () => {
  if (!existsSync(MAIN) || !existsSync(CNITOOL)) {
    throw new Error('build first: npx tsc -b examples/cni-plugin-loopback/tsconfig.lib.json');
  }
  await sweepStaleNetns();
  // Installed the way a runtime finds plugins: an executable named after the type on CNI_PATH.
  bin = await mkdtemp(join(tmpdir(), 'sy-loopback-'));
  await chmod(MAIN, 0o755);
  await symlink(MAIN, join(bin, 'sy-loopback'));
});

afterAll(async () => {
  expect(liveNetns()).toEqual([]);
  await rm(bin, { recursive: true, force: true });
});

async function loIsUp(ns: Netns): Promise<boolean> {
  const [lo] = JSON.parse((await ns.exec(['ip', '-j', 'link', 'show', 'lo'])).stdout) as {
    flags: string[];
  }[];
  return lo?.flags.includes('UP') ?? false;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CNITOOL, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout }));
  });
}

describe('example loopback plugin', () => {
  it('passes switchyard-cnitool validate-plugin, every check including STATUS and GC', async () => {
    const { code, stdout } = await runCli(['validate-plugin', join(bin, 'sy-loopback'), '--json']);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      checks: { name: string; status: string }[];
    };
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'STATUS',
        'GC releases invalid attachments',
        'DEL with the namespace gone',
      ]),
    );
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  });

  it('brings lo up at every spec version; CHECK notices when it goes down; DEL takes it down', async () => {
    const ns = await createNetns('lopod');
    try {
      const runtime = new CniRuntime({ pluginPaths: [bin], cacheDir: join(bin, 'cache') });
      const rt = { containerId: 'lo-test', netns: ns.path, ifName: 'lo' };
      for (const v of SUPPORTED_VERSIONS) {
        const list = parseConfList(
          JSON.stringify({ cniVersion: v, name: 'lo-net', plugins: [{ type: 'sy-loopback' }] }),
        );
        await ns.exec(['ip', 'link', 'set', 'lo', 'down']);
        expect(await loIsUp(ns)).toBe(false);
        const result = await runtime.addNetworkList(list, rt);
        expect(await loIsUp(ns), v).toBe(true);
        expect(
          result.ips?.map((i) => i.address),
          v,
        ).toContain('127.0.0.1/8');
        // The namespace answers on loopback now.
        expect((await ns.exec(['ping', '-c', '1', '-W', '1', '127.0.0.1'])).stdout).toMatch(
          /1 received/,
        );
        if (versionAtLeast(v, '0.4.0')) {
          await runtime.checkNetworkList(list, rt);
          await ns.exec(['ip', 'link', 'set', 'lo', 'down']);
          const err = await runtime.checkNetworkList(list, rt).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(CniError);
          expect((err as CniError).code).toBe(100);
          expect((err as CniError).message).toContain(`lo is down in ${ns.path}`);
          await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
        }
        await runtime.delNetworkList(list, rt);
        expect(await loIsUp(ns), v).toBe(false);
      }
    } finally {
      await ns.delete();
    }
  });

  it('DEL succeeds when the namespace is already gone', async () => {
    const ns = await createNetns('logone');
    const runtime = new CniRuntime({ pluginPaths: [bin], cacheDir: join(bin, 'cache2') });
    const list = parseConfList(
      JSON.stringify({ cniVersion: '1.1.0', name: 'lo-net', plugins: [{ type: 'sy-loopback' }] }),
    );
    const rt = { containerId: 'lo-gone', netns: ns.path, ifName: 'lo' };
    await runtime.addNetworkList(list, rt);
    await ns.delete();
    await expect(runtime.delNetworkList(list, rt)).resolves.toBeUndefined();
  });
});
