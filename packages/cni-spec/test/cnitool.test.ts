// switchyard-cnitool against the recorder plugin: no namespaces involved, so no root needed.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CNITOOL,
  pluginDir,
  readLog,
  removeTempDirs,
  requireBuild,
  spawnCollect,
  tempDir,
} from './helpers.js';

let bin: string;
beforeAll(async () => {
  requireBuild();
  bin = await pluginDir(['rec-a', 'rec-b']);
});

afterAll(async () => {
  await removeTempDirs();
});

describe('switchyard-cnitool environment', { timeout: 30_000 }, () => {
  it('passes CNI_ARGS, CAP_ARGS and CNI_IFNAME through and prints the result in the list version', async () => {
    const tmp = await tempDir('cnitool-unit');
    const log = join(tmp, 'log');
    await mkdir(join(tmp, 'net.d'));
    await writeFile(
      join(tmp, 'net.d', '50-rec.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'recnet',
        plugins: [
          { type: 'rec-a', logFile: log, addAddress: '10.66.0.2/24' },
          {
            type: 'rec-b',
            logFile: log,
            addAddress: 'fd66::2/64',
            capabilities: { portMappings: true },
          },
        ],
      }),
    );
    const env = {
      ...process.env,
      NETCONFPATH: join(tmp, 'net.d'),
      CNI_PATH: bin,
      CNI_CACHE_DIR: join(tmp, 'cache'),
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=db-0',
      CAP_ARGS: JSON.stringify({ portMappings: [{ hostPort: 5432, containerPort: 5432 }] }),
      CNI_IFNAME: 'net1',
    };
    const add = await spawnCollect(
      [process.execPath, CNITOOL, 'add', 'recnet', '/run/netns/somepod'],
      env,
    );
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({
      cniVersion: '0.4.0',
      ips: [
        { version: '4', address: '10.66.0.2/24' },
        { version: '6', address: 'fd66::2/64' },
      ],
    });
    const [a, b] = await readLog(log);
    expect(a).toMatchObject({
      ifName: 'net1',
      netns: '/run/netns/somepod',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=db-0',
    });
    // cnitool's container ID: "cnitool-" + sha512(netns path), 20 characters in all.
    expect(a?.containerId).toMatch(/^cnitool-[0-9a-f]{12}$/);
    expect(b?.config.runtimeConfig).toEqual({
      portMappings: [{ hostPort: 5432, containerPort: 5432 }],
    });
    expect(await readdir(join(tmp, 'cache', 'results'))).toEqual([`recnet-${a?.containerId}-net1`]);

    // A bare namespace name means /run/netns/NAME, so add and del agree on the container ID.
    const del = await spawnCollect([process.execPath, CNITOOL, 'del', 'recnet', 'somepod'], env);
    expect(del.code).toBe(0);
    expect((await readLog(log)).slice(2).map((l) => `${l.verb}:${l.containerId}`)).toEqual([
      `DEL:${a?.containerId}`,
      `DEL:${a?.containerId}`,
    ]);
    expect(await readdir(join(tmp, 'cache', 'results'))).toEqual([]);

    const badCaps = await spawnCollect([process.execPath, CNITOOL, 'add', 'recnet', 'somepod'], {
      ...env,
      CAP_ARGS: '{oops',
    });
    expect(badCaps.code).toBe(1);
    expect(JSON.parse(badCaps.stderr)).toMatchObject({ code: 4, msg: 'CAP_ARGS: invalid JSON' });
    const badGc = await spawnCollect([process.execPath, CNITOOL, 'gc', 'recnet', 'no-slash'], env);
    expect(JSON.parse(badGc.stderr)).toMatchObject({
      code: 4,
      msg: expect.stringContaining('CONTAINERID/IFNAME'),
    });
  });
});
