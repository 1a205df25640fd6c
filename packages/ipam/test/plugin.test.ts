import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniBinDir, runPlugin, snapshot, startPlugin, tempDir } from './helpers.js';

let root: ReturnType<typeof tempDir>;
let plugin: string;

beforeAll(() => {
  root = tempDir('plugin');
  plugin = join(cniBinDir(root.path), 'switchyard-ipam');
});
afterAll(() => root.cleanup());

let n = 0;
/** A config with its own fresh dataDir. */
function config(ipam: object, extra: object = {}): { conf: Record<string, unknown>; dir: string } {
  const dataDir = join(root.path, `data-${n++}`);
  return {
    conf: {
      cniVersion: '1.0.0',
      name: 'pods',
      type: 'bridge',
      ...extra,
      ipam: { type: 'switchyard-ipam', dataDir, ...ipam },
    },
    dir: join(dataDir, 'pods'),
  };
}
const DUAL = { ranges: [[{ subnet: '10.50.0.0/24' }], [{ subnet: 'fd00:50::/64' }]] };

describe('switchyard-ipam verbs', () => {
  it('ADD answers a 1.0.0 result with routes and resolv.conf DNS, and writes host-local files', () => {
    const resolv = join(root.path, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 10.96.0.10\nsearch svc.cluster.local\noptions ndots:5\n');
    const { conf, dir } = config({
      ...DUAL,
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      resolvConf: resolv,
    });
    const r = runPlugin(plugin, 'ADD', conf, { containerId: 'pod1' });
    expect(r.status, r.stdout).toBe(0);
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      ips: [
        { address: '10.50.0.2/24', gateway: '10.50.0.1' },
        { address: 'fd00:50::2/64', gateway: 'fd00:50::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'], options: ['ndots:5'] },
    });
    expect(snapshot(dir)).toEqual({
      '10.50.0.2': 'pod1\r\neth0',
      'fd00:50::2': 'pod1\r\neth0',
      'last_reserved_ip.0': '10.50.0.2',
      'last_reserved_ip.1': 'fd00:50::2',
      lock: '',
    });
  });

  it('converts the result to old config versions', () => {
    const old = config(DUAL, { cniVersion: '0.2.0' });
    expect(runPlugin(plugin, 'ADD', old.conf).json).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.50.0.2/24', gateway: '10.50.0.1' },
      ip6: { ip: 'fd00:50::2/64', gateway: 'fd00:50::1' },
    });
    const v04 = config({ subnet: '10.51.0.0/24' }, { cniVersion: '0.4.0' });
    expect(runPlugin(plugin, 'ADD', v04.conf).json).toEqual({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '10.51.0.2/24', gateway: '10.51.0.1' }],
    });
  });

  it('honours requested addresses from CNI_ARGS, args.cni.ips and runtimeConfig.ips', () => {
    const a = config(DUAL);
    const r1 = runPlugin(plugin, 'ADD', a.conf, {
      containerId: 'p1',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.50.0.77',
    });
    expect((r1.json as { ips: { address: string }[] }).ips[0]!.address).toBe('10.50.0.77/24');
    const withArgs = {
      ...a.conf,
      args: { cni: { ips: ['fd00:50::77'] } },
      runtimeConfig: { ips: ['10.50.0.78/24'] },
    };
    const r2 = runPlugin(plugin, 'ADD', withArgs, { containerId: 'p2' });
    expect((r2.json as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual([
      '10.50.0.78/24',
      'fd00:50::77/64',
    ]);
    const taken = runPlugin(plugin, 'ADD', a.conf, { containerId: 'p3', args: 'IP=10.50.0.77' });
    expect(taken.json).toMatchObject({
      code: 102,
      msg: expect.stringMatching(/10\.50\.0\.77 is not available/),
    });
    // The ipRanges capability: a runtime-provided range set comes first. That shifts the other
    // sets' cursor files (as in host-local), so they restart from their first free address.
    const withRanges = { ...a.conf, runtimeConfig: { ipRanges: [[{ subnet: '10.53.0.0/28' }]] } };
    const r3 = runPlugin(plugin, 'ADD', withRanges, { containerId: 'p4' });
    expect((r3.json as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual([
      '10.53.0.2/28',
      '10.50.0.2/24',
      'fd00:50::3/64',
    ]);
    runPlugin(plugin, 'DEL', withRanges, { containerId: 'p4' });
    const unknownArg = runPlugin(plugin, 'ADD', a.conf, { containerId: 'p3', args: 'FOO=bar' });
    expect(unknownArg.json).toMatchObject({ code: 2 });
    expect(Object.keys(snapshot(a.dir)).filter((f) => /^\d|:/.test(f))).toEqual([
      '10.50.0.77',
      '10.50.0.78',
      'fd00:50::2',
      'fd00:50::77',
    ]);
  });

  it('refuses a second ADD for the same attachment; CHECK and DEL (idempotent) work per interface', () => {
    const { conf, dir } = config(DUAL);
    expect(runPlugin(plugin, 'ADD', conf, { containerId: 'c1' }).status).toBe(0);
    const again = runPlugin(plugin, 'ADD', conf, { containerId: 'c1' });
    expect(again.status).toBe(1);
    expect(again.json).toMatchObject({ cniVersion: '1.0.0', code: 101 });
    expect(runPlugin(plugin, 'CHECK', conf, { containerId: 'c1' }).status).toBe(0);
    expect(
      runPlugin(plugin, 'CHECK', conf, { containerId: 'c1', ifName: 'net1' }).json,
    ).toMatchObject({ code: 103 });
    expect(runPlugin(plugin, 'DEL', conf, { containerId: 'c1' }).status).toBe(0);
    expect(runPlugin(plugin, 'DEL', conf, { containerId: 'c1' }).status).toBe(0);
    expect(Object.keys(snapshot(dir))).toEqual([
      'last_reserved_ip.0',
      'last_reserved_ip.1',
      'lock',
    ]);
  });

  it('DEL still releases when the ranges in the config have since become invalid', () => {
    const { conf, dir } = config(DUAL);
    runPlugin(plugin, 'ADD', conf, { containerId: 'c1' });
    const broken = {
      ...conf,
      ipam: { ...(conf.ipam as object), ranges: [[{ subnet: '10.50.0.0/31' }]] },
    };
    expect(runPlugin(plugin, 'ADD', broken, { containerId: 'c2' }).json).toMatchObject({ code: 7 });
    expect(runPlugin(plugin, 'DEL', broken, { containerId: 'c1' }).status).toBe(0);
    expect(Object.keys(snapshot(dir))).toEqual([
      'last_reserved_ip.0',
      'last_reserved_ip.1',
      'lock',
    ]);
  });

  it('STATUS reports 50 once a range set is full', () => {
    const { conf } = config({ ranges: [[{ subnet: '10.52.0.0/30' }]] }, { cniVersion: '1.1.0' });
    expect(runPlugin(plugin, 'STATUS', conf).status).toBe(0);
    expect(runPlugin(plugin, 'ADD', conf, { containerId: 'only' }).status).toBe(0);
    expect(runPlugin(plugin, 'STATUS', conf).json).toMatchObject({ cniVersion: '1.1.0', code: 50 });
    expect(runPlugin(plugin, 'ADD', conf, { containerId: 'more' }).json).toMatchObject({
      code: 100,
    });
  });

  it('GC frees what is not valid, keeps bookkeeping files, and refuses a request without the list', () => {
    const { conf, dir } = config(DUAL, { cniVersion: '1.1.0' });
    for (const id of ['a', 'b', 'c']) runPlugin(plugin, 'ADD', conf, { containerId: id });
    const missing = runPlugin(plugin, 'GC', conf);
    expect(missing.json).toMatchObject({ code: 7 });
    expect(Object.keys(snapshot(dir))).toHaveLength(9);
    const gc = runPlugin(plugin, 'GC', {
      ...conf,
      'cni.dev/valid-attachments': [{ containerID: 'b', ifname: 'eth0' }],
    });
    expect(gc.status, gc.stdout).toBe(0);
    expect(snapshot(dir)).toEqual({
      '10.50.0.3': 'b\r\neth0',
      'fd00:50::3': 'b\r\neth0',
      'last_reserved_ip.0': '10.50.0.4',
      'last_reserved_ip.1': 'fd00:50::4',
      lock: '',
    });
    runPlugin(plugin, 'GC', { ...conf, 'cni.dev/valid-attachments': [] });
    expect(Object.keys(snapshot(dir))).toEqual([
      'last_reserved_ip.0',
      'last_reserved_ip.1',
      'lock',
    ]);
  });

  it('answers VERSION', () => {
    expect(runPlugin(plugin, 'VERSION', { cniVersion: '1.0.0' }).json).toEqual({
      cniVersion: '1.0.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });
});

describe('switchyard-ipam bad configuration', () => {
  it('answers the right CNI error code and writes nothing', async () => {
    const cases: [string, (c: Record<string, unknown>) => unknown, number, RegExp][] = [
      [
        'garbage JSON',
        () => '{"cniVersion": "1.0.0", "name": "pods", "ipam": {',
        6,
        /invalid JSON/,
      ],
      [
        'overlapping range sets',
        (c) => ({
          ...c,
          ipam: {
            ...(c.ipam as object),
            ranges: [[{ subnet: '10.60.0.0/16' }], [{ subnet: '10.60.4.0/24' }]],
          },
        }),
        7,
        /range set 0 overlaps with range set 1/,
      ],
      [
        'overlapping ranges in a set',
        (c) => ({
          ...c,
          ipam: {
            ...(c.ipam as object),
            ranges: [[{ subnet: '10.60.0.0/24' }, { subnet: '10.60.0.0/25' }]],
          },
        }),
        7,
        /overlap/,
      ],
      [
        'gateway outside the subnet',
        (c) => ({
          ...c,
          ipam: {
            ...(c.ipam as object),
            ranges: [[{ subnet: '10.60.0.0/24', gateway: '10.61.0.1' }]],
          },
        }),
        7,
        /gateway: 10\.61\.0\.1 not in network 10\.60\.0\.0\/24/,
      ],
      ['no ipam section', (c) => ({ ...c, ipam: undefined }), 7, /missing "ipam"/],
      [
        'a /32',
        (c) => ({ ...c, ipam: { ...(c.ipam as object), subnet: '10.60.0.1/32' } }),
        7,
        /too small/,
      ],
      [
        'host bits',
        (c) => ({ ...c, ipam: { ...(c.ipam as object), subnet: '10.60.0.1/24' } }),
        7,
        /host bits set/,
      ],
      [
        'unsupported version',
        (c) => ({ ...c, cniVersion: '9.9.9' }),
        1,
        /incompatible CNI versions/,
      ],
    ];
    const runs = cases.map(([label, mutate, code, msg]) => {
      const { conf, dir } = config({});
      return { label, code, msg, dir, run: startPlugin(plugin, 'ADD', mutate(conf)).done };
    });
    for (const { label, code, msg, dir, run } of runs) {
      const r = await run;
      expect(r.status, label).toBe(1);
      expect(r.json, label).toMatchObject({ code, msg: expect.stringMatching(msg) });
      expect(existsSync(dir), `${label}: ${dir} created`).toBe(false);
    }
    expect(readFileSync(join(root.path, 'cni-bin', 'switchyard-ipam'), 'utf8')).toMatch(
      /^#!\/bin\/sh\nexec node /,
    );
  });
});
