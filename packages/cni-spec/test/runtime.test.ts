import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CniRuntime,
  GcFailedError,
  IncompatibleVersionError,
  SUPPORTED_VERSIONS,
  TryAgainLaterError,
  UnknownContainerError,
  loadConfList,
  parseConfList,
  versionAtLeast,
  type NetworkConfigList,
  type RuntimeConf,
} from '../src/index.js';
import {
  pluginDir,
  readLog,
  removeTempDirs,
  requireBuild,
  scriptPlugin,
  tempDir,
} from './helpers.js';

let bin: string;
beforeAll(async () => {
  requireBuild();
  bin = await pluginDir(['rec-a', 'rec-b']);
});

async function setup(
  version = '1.1.0',
  extra: object = {},
  b: object = {},
): Promise<{ rt: CniRuntime; list: NetworkConfigList; log: string; cache: string }> {
  const dir = await tempDir('cni-spec-rt');
  const log = join(dir, 'log');
  const list = parseConfList(
    JSON.stringify({
      cniVersion: version,
      name: 'testnet',
      plugins: [
        { type: 'rec-a', logFile: log, addAddress: '10.77.0.2/24', gateway: '10.77.0.1' },
        {
          type: 'rec-b',
          logFile: log,
          addAddress: '10.77.1.2/24',
          capabilities: { portMappings: true, mac: false },
          ...b,
        },
      ],
      ...extra,
    }),
  );
  const cache = join(dir, 'cache');
  return { rt: new CniRuntime({ pluginPaths: [bin], cacheDir: cache }), list, log, cache };
}

const pod = (id = 'ctr1'): RuntimeConf => ({
  containerId: id,
  netns: '/run/netns/none',
  ifName: 'eth0',
  args: [['K8S_POD_NAME', 'web-0']],
  capabilityArgs: {
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    mac: 'aa:bb:cc:dd:ee:ff',
  },
});

afterAll(async () => {
  await removeTempDirs();
});

describe('runtime side', { timeout: 30_000 }, () => {
  it('ADD chains prevResult, injects runtimeConfig for declared capabilities and caches the result', async () => {
    const { rt, list, log, cache } = await setup();
    const result = await rt.addNetworkList(list, pod());
    expect(result.ips).toEqual([
      { address: '10.77.0.2/24', gateway: '10.77.0.1' },
      { address: '10.77.1.2/24' },
    ]);
    const [a, b] = await readLog(log);
    expect([a?.plugin, b?.plugin]).toEqual(['rec-a', 'rec-b']);
    expect(a?.args).toBe('K8S_POD_NAME=web-0');
    expect(a?.config.prevResult).toBeUndefined();
    expect(a?.config.runtimeConfig).toBeUndefined();
    expect(b?.config.prevResult).toEqual({
      cniVersion: '1.1.0',
      ips: [{ address: '10.77.0.2/24', gateway: '10.77.0.1' }],
    });
    // Only the capability the plugin declared true, and `capabilities` itself is not passed on.
    expect(b?.config.runtimeConfig).toEqual({
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    });
    expect(b?.config.capabilities).toBeUndefined();
    expect(b?.config.name).toBe('testnet');

    const file = join(cache, 'results', 'testnet-ctr1-eth0');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(cache, 'results'))).mode & 0o777).toBe(0o700);
    const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(entry).toMatchObject({
      kind: 'cniCacheV1',
      containerId: 'ctr1',
      ifName: 'eth0',
      networkName: 'testnet',
      netns: '/run/netns/none',
      cniArgs: [['K8S_POD_NAME', 'web-0']],
      result: { cniVersion: '1.1.0', ips: result.ips },
    });
    expect(Buffer.from(entry.config as string, 'base64').toString()).toBe(list.bytes?.toString());
    expect(await rt.getCachedResult(list, pod())).toEqual(result);
  });

  it('CHECK in order and DEL in reverse order get the cached result; DEL removes the cache', async () => {
    const { rt, list, log, cache } = await setup('0.4.0');
    const added = await rt.addNetworkList(list, pod());
    await rt.checkNetworkList(list, pod());
    await rt.delNetworkList(list, pod());
    const lines = (await readLog(log)).slice(2);
    expect(lines.map((l) => `${l.verb}:${l.plugin}`)).toEqual([
      'CHECK:rec-a',
      'CHECK:rec-b',
      'DEL:rec-b',
      'DEL:rec-a',
    ]);
    for (const l of lines) {
      expect(l.config.prevResult).toEqual({
        cniVersion: '0.4.0',
        ips: added.ips!.map((ip) => ({ version: '4', ...ip })),
      });
    }
    await expect(stat(join(cache, 'results', 'testnet-ctr1-eth0'))).rejects.toThrow(/ENOENT/);
    // With the cache gone CHECK has nothing to compare against.
    await expect(rt.checkNetworkList(list, pod())).rejects.toBeInstanceOf(UnknownContainerError);
  });

  it('DEL goes through with an empty or corrupt cache file', async () => {
    const { rt, list, log, cache } = await setup();
    await mkdir(join(cache, 'results'), { recursive: true });
    for (const [id, content] of [
      ['c-empty', ''],
      ['c-corrupt', '{"kind":"cniCacheV1","containerId":'],
      ['c-wrongkind', '{"kind":"other"}'],
    ] as const) {
      await writeFile(join(cache, 'results', `testnet-${id}-eth0`), content);
      await rt.delNetworkList(list, { ...pod(id), netns: '' });
      await expect(stat(join(cache, 'results', `testnet-${id}-eth0`))).rejects.toThrow(/ENOENT/);
    }
    const dels = await readLog(log);
    expect(dels).toHaveLength(6);
    expect(dels.every((l) => l.verb === 'DEL' && l.config.prevResult === undefined)).toBe(true);
    // A bare result (libcni's layout before cniCacheV1) is still read and passed on.
    const legacy = { cniVersion: '1.0.0', ips: [{ address: '10.77.9.9/24' }] };
    await writeFile(join(cache, 'results', 'testnet-c-legacy-eth0'), JSON.stringify(legacy));
    await rt.delNetworkList(list, pod('c-legacy'));
    const legacyDels = (await readLog(log)).slice(6);
    expect(legacyDels.map((l) => l.config.prevResult)).toEqual([
      { cniVersion: '1.1.0', ips: legacy.ips },
      { cniVersion: '1.1.0', ips: legacy.ips },
    ]);
  });

  it('GC DELs stale cached attachments first, then sends GC with the valid ones', async () => {
    const { rt, list, log, cache } = await setup();
    await rt.addNetworkList(list, pod('keep'));
    await rt.addNetworkList(list, pod('stale'));
    await rt.gcNetworkList(list, { validAttachments: [{ containerID: 'keep', ifname: 'eth0' }] });
    const lines = (await readLog(log)).slice(4);
    expect(lines.map((l) => `${l.verb}:${l.plugin}:${l.containerId}`)).toEqual([
      'DEL:rec-b:stale',
      'DEL:rec-a:stale',
      'GC:rec-a:',
      'GC:rec-b:',
    ]);
    expect(lines[0]?.args).toBe('K8S_POD_NAME=web-0');
    expect(lines[2]?.config['cni.dev/valid-attachments']).toEqual([
      { containerID: 'keep', ifname: 'eth0' },
    ]);
    expect((await rt.getCachedAttachments('testnet')).map((a) => a.containerId)).toEqual(['keep']);
    // A temp file left by a crashed write is not an attachment.
    const keepFile = join(cache, 'results', 'testnet-keep-eth0');
    await writeFile(`${keepFile}.tmp-4242`, await readFile(keepFile));
    expect(await rt.getCachedAttachments()).toHaveLength(1);
    await expect(stat(join(cache, 'results', 'testnet-stale-eth0'))).rejects.toThrow(/ENOENT/);
  });

  it('GC continues past failures and reports them all; disableGC skips everything', async () => {
    const failing = await setup('1.1.0', {}, { failOn: 'GC' });
    await expect(
      failing.rt.gcNetworkList(failing.list, { validAttachments: [] }),
    ).rejects.toBeInstanceOf(GcFailedError);
    expect((await readLog(failing.log)).map((l) => `${l.verb}:${l.plugin}`)).toEqual([
      'GC:rec-a',
      'GC:rec-b',
    ]);
    const off = await setup('1.1.0', { disableGC: true });
    await off.rt.gcNetworkList(off.list, { validAttachments: [] });
    expect(await readLog(off.log)).toEqual([]);
  });

  it('STATUS runs at 1.1.0 only; CHECK needs 0.4.0 and is skipped with disableCheck', async () => {
    const s = await setup('1.1.0');
    await s.rt.getStatusNetworkList(s.list);
    expect((await readLog(s.log)).map((l) => l.verb)).toEqual(['STATUS', 'STATUS']);
    const old = await setup('1.0.0');
    await old.rt.getStatusNetworkList(old.list);
    expect(await readLog(old.log)).toEqual([]);
    const v031 = await setup('0.3.1');
    await expect(v031.rt.checkNetworkList(v031.list, pod())).rejects.toBeInstanceOf(
      IncompatibleVersionError,
    );
    const skip = await setup('1.0.0', { disableCheck: true });
    await skip.rt.checkNetworkList(skip.list, pod());
    expect(await readLog(skip.log)).toEqual([]);
  });

  it('stops ADD at the first failing plugin and surfaces its typed error', async () => {
    const { rt, list, log, cache } = await setup('1.0.0', {}, {});
    list.plugins[0]!.failOn = 'ADD';
    const err = await rt.addNetworkList(list, pod()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TryAgainLaterError);
    expect((err as TryAgainLaterError).msg).toBe('plugin rec-a (ADD): rec-a refuses ADD');
    expect((await readLog(log)).map((l) => l.plugin)).toEqual(['rec-a']);
    await expect(stat(join(cache, 'results', 'testnet-ctr1-eth0'))).rejects.toThrow(/ENOENT/);
  });

  it('speaks every spec version end to end', async () => {
    for (const v of SUPPORTED_VERSIONS) {
      const { rt, list, log } = await setup(v);
      const result = await rt.addNetworkList(list, pod());
      // Chaining (prevResult) starts at 0.3.0: before that the last plugin's result stands alone.
      const expected =
        v === '0.1.0' || v === '0.2.0' ? ['10.77.1.2/24'] : ['10.77.0.2/24', '10.77.1.2/24'];
      expect(
        result.ips?.map((i) => i.address),
        v,
      ).toEqual(expected);
      const lines = await readLog(log);
      expect(lines.map((l) => l.config.cniVersion)).toEqual([v, v]);
      // prevResult is passed from 0.3.0 on, in the list's version.
      const first = { address: '10.77.0.2/24', gateway: '10.77.0.1' };
      const prev =
        v === '0.1.0' || v === '0.2.0'
          ? undefined
          : {
              cniVersion: v,
              ips: [versionAtLeast(v, '1.0.0') ? first : { version: '4', ...first }],
            };
      expect(lines[1]?.config.prevResult, v).toEqual(prev);
    }
  });

  it('runs plugins under the exec wrapper and reads VERSION (0.1.0 when a plugin has none)', async () => {
    const { list, log, cache } = await setup();
    const wrapped = new CniRuntime({
      pluginPaths: [bin],
      cacheDir: cache,
      execWrapper: ['env', 'WRAPPED=yes'],
    });
    await wrapped.addNetworkList(list, pod());
    expect((await readLog(log)).map((l) => l.wrapped)).toEqual(['yes', 'yes']);
    expect(await wrapped.getVersionInfo('rec-a')).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: [...SUPPORTED_VERSIONS],
    });
    const old = await tempDir('cni-spec-old');
    await scriptPlugin(
      old,
      'ancient',
      `echo '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'; exit 1`,
    );
    await scriptPlugin(old, 'broken', `echo 'segfault' >&2; exit 2`);
    const rt = new CniRuntime({ pluginPaths: [old], cacheDir: cache, onStderr: () => undefined });
    expect(await rt.getVersionInfo('ancient')).toEqual({
      cniVersion: '0.1.0',
      supportedVersions: ['0.1.0'],
    });
    // Nothing on stdout: the error carries the plugin's stderr.
    await expect(rt.getVersionInfo('broken')).rejects.toThrow(/exit 2.*segfault/);
    await expect(rt.getVersionInfo('missing')).rejects.toThrow(/failed to find plugin "missing"/);

    // validateNetworkList: every plugin present and speaking the list's version.
    const mixed = new CniRuntime({
      pluginPaths: [bin, old],
      cacheDir: cache,
      onStderr: () => undefined,
    });
    expect(await mixed.validateNetworkList(list)).toEqual(['portMappings']);
    const bad = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'badnet',
        plugins: [{ type: 'rec-a' }, { type: 'ancient' }, { type: 'missing' }],
      }),
    );
    const err = await mixed.validateNetworkList(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleVersionError);
    expect((err as IncompatibleVersionError).details).toMatch(
      /plugin ancient supports \[0\.1\.0\], not 1\.0\.0; failed to find plugin "missing"/,
    );
  });
});

describe('loading configuration directories', { timeout: 30_000 }, () => {
  it('picks files in lexical order, skips broken ones, finds by name and lifts single configs', async () => {
    const dir = await tempDir('cni-spec-conf');
    await writeFile(join(dir, '01-broken.conflist'), '{"name": ');
    await writeFile(
      join(dir, '05-single.conf'),
      JSON.stringify({ cniVersion: '0.3.1', name: 'single', type: 'bridge' }),
    );
    await writeFile(
      join(dir, '10-list.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'listed', plugins: [{ type: 'ptp' }] }),
    );
    await writeFile(join(dir, '00-notes.txt'), 'not a config');
    expect((await loadConfList(dir)).name).toBe('single');
    expect((await loadConfList(dir, 'listed')).plugins[0]?.type).toBe('ptp');
    expect((await loadConfList(dir, 'single')).plugins).toHaveLength(1);
    await expect(loadConfList(dir, 'nope')).rejects.toThrow(
      /no network named "nope".*01-broken\.conflist/,
    );
    await expect(loadConfList(join(dir, 'absent'))).rejects.toThrow(
      /cannot read CNI configuration directory/,
    );
  });
});
