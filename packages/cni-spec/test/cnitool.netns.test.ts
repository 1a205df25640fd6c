// switchyard-cnitool as a user runs it: under `ip netns exec NODE`, so the bridge plugin's
// host side lands in our node namespace, against a pod namespace in /run/netns.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveNetns, sweepStaleNetns, withNetns, type Netns } from '@switchyard/linux';
import { CNITOOL, removeTempDirs, requireBuild, spawnCollect, tempDir } from './helpers.js';

beforeAll(async () => {
  requireBuild();
  await sweepStaleNetns();
});

afterAll(() => {
  expect(liveNetns()).toEqual([]);
});

afterAll(async () => {
  await removeTempDirs();
});

describe('switchyard-cnitool', () => {
  it('add/check/version/status/gc/del a bridge network from a conf dir', async () => {
    await withNetns(['node', 'pod'], async (node: Netns, pod: Netns) => {
      const tmp = await tempDir('cnitool');
      const confDir = join(tmp, 'net.d');
      const dataDir = join(tmp, 'ipam');
      await mkdir(confDir);
      await writeFile(
        join(confDir, '10-sy.conflist'),
        JSON.stringify({
          cniVersion: '1.0.0',
          name: 'sy-tool',
          plugins: [
            {
              type: 'bridge',
              bridge: 'sytool0',
              isGateway: true,
              ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.203.0.0/24' }]] },
            },
          ],
        }),
      );
      const env = {
        ...process.env,
        NETCONFPATH: confDir,
        CNI_PATH: '/usr/lib/cni',
        CNI_CACHE_DIR: join(tmp, 'cache'),
        CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web-0',
      };
      const tool = (...args: string[]) =>
        spawnCollect(['ip', 'netns', 'exec', node.name, process.execPath, CNITOOL, ...args], env);

      const add = await tool('add', 'sy-tool', pod.name);
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      const result = JSON.parse(add.stdout) as { cniVersion: string; ips: { address: string }[] };
      expect(result.cniVersion).toBe('1.0.0');
      const address = result.ips[0]!.address;
      expect(address).toMatch(/^10\.203\.0\.\d+\/24$/);
      expect((await pod.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(
        address,
      );
      expect((await pod.exec(['ping', '-c', '1', '-W', '2', '10.203.0.1'])).stdout).toMatch(
        /1 received/,
      );
      const cached = await readdir(join(tmp, 'cache', 'results'));
      expect(cached).toHaveLength(1);
      expect(cached[0]).toMatch(/^sy-tool-cnitool-[0-9a-f]{12}-eth0$/);

      expect((await tool('check', 'sy-tool', pod.name)).code).toBe(0);
      expect((await tool('status', 'sy-tool')).code).toBe(0);
      const version = JSON.parse((await tool('version', 'sy-tool')).stdout) as {
        plugins: { type: string; supportedVersions: string[] }[];
      };
      expect(version.plugins[0]).toMatchObject({
        type: 'bridge',
        supportedVersions: expect.arrayContaining(['1.0.0']),
      });

      // GC with no valid attachments DELs the cached one: the pod loses its address.
      const gc = await tool('gc', 'sy-tool');
      expect(gc.code).toBe(0);
      expect((await pod.execUnchecked(['ip', 'link', 'show', 'eth0'])).exitCode).not.toBe(0);
      expect(await readdir(join(tmp, 'cache', 'results'))).toEqual([]);
      expect((await readdir(join(dataDir, 'sy-tool'))).filter((f) => f.startsWith('10.'))).toEqual(
        [],
      );
      // DEL after that is still fine (idempotent).
      expect((await tool('del', 'sy-tool', pod.name)).code).toBe(0);

      const missing = await tool('add', 'nosuchnet', pod.name);
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stderr)).toMatchObject({
        code: 7,
        msg: expect.stringContaining('no network named "nosuchnet"'),
      });
      const usage = await tool();
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('validate-plugin');
      // Having run once through node, the bin made itself executable and runs directly.
      const direct = await spawnCollect([CNITOOL, '--help']);
      expect(direct.code).toBe(0);
      expect(direct.stderr).toContain('usage:');
    });
  });
});

describe('validate-plugin', () => {
  it('passes the reference bridge plugin and reports its missing STATUS/GC honestly', async () => {
    const run = await spawnCollect([
      process.execPath,
      CNITOOL,
      'validate-plugin',
      '/usr/lib/cni/bridge',
      '--cni-path',
      '/usr/lib/cni',
    ]);
    expect(run.stdout).toMatch(/^nothing leaked\s+PASS/m);
    expect(run.stdout).toMatch(
      /^GC releases invalid attachments\s+SKIP\s+plugin supports up to 1\.0\.0; STATUS and GC need 1\.1\.0/m,
    );
    expect(run.stdout).toContain('PASSED: 11 checks passed (2 skipped)');
    expect(run.code).toBe(0);
    // Its namespaces and temp dataDir are gone.
    expect(liveChildNamespaces(run.pid)).toEqual([]);
    const dataDir = /holds no address for the container/.test(run.stdout)
      ? /(\/tmp\/sy-validate-\w+)/.exec(run.stdout)?.[1]
      : undefined;
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
  });

  it('fails a plugin that never releases its addresses, naming what leaked', async () => {
    const leaky = join(import.meta.dirname, 'fixtures', 'leaky-plugin.mjs');
    const run = await spawnCollect([
      process.execPath,
      CNITOOL,
      'validate-plugin',
      leaky,
      '--cni-path',
      '/usr/lib/cni',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string }[];
    };
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    expect(report.ok).toBe(false);
    expect(byName.get('VERSION answers')?.status).toBe('pass');
    expect(byName.get('missing env -> code 4')?.status).toBe('pass');
    expect(byName.get('garbage stdin -> code 6')?.status).toBe('pass');
    expect(byName.get('unsupported version -> code 1')?.status).toBe('pass');
    expect(byName.get('DEL')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/IPAM still holds 10\.199\.0\.\d+ \(sy-validate-1\)/),
    });
    expect(byName.get('GC releases invalid attachments')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('sy-validate-3'),
    });
    expect(byName.get('nothing leaked')?.status).toBe('fail');
    expect(liveChildNamespaces(run.pid)).toEqual([]);
  });

  it('tests with a user config (--config, a conflist for ptp)', async () => {
    const tmp = await tempDir('cnitool-val');
    const file = join(tmp, 'ptp.conflist');
    await writeFile(
      file,
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'sy-valptp',
        plugins: [
          {
            type: 'ptp',
            ipam: {
              type: 'host-local',
              dataDir: join(tmp, 'ipam'),
              ranges: [[{ subnet: '10.204.0.0/24' }]],
            },
          },
        ],
      }),
    );
    const run = await spawnCollect([
      process.execPath,
      CNITOOL,
      'validate-plugin',
      '/usr/lib/cni/ptp',
      '--config',
      file,
    ]);
    expect(run.stdout).toContain('(config version 0.4.0)');
    expect(run.stdout).toMatch(
      /^ADD \(0\.4\.0\)\s+PASS\s+interfaces in pod: eth0; ips: 10\.204\.0\.\d+\/24/m,
    );
    expect(run.stdout).toMatch(/^CHECK\s+PASS/m);
    expect(run.code).toBe(0);
  });
});

/** Namespaces a (finished) child process created and did not remove. */
function liveChildNamespaces(pid: number): string[] {
  const names = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  return names.filter((n) => n.startsWith(`sy-${pid}-`));
}
