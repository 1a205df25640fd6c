import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, runUnchecked, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { hostVethName } from '../src/plugin/host-veth-name.js';
import { CNITOOL, NodeLab, SHIM, ensureBuilt, podAddress } from './node-lab.js';

// Ranges private to this file: pods 10.81.1.0/24 in cluster 10.81.0.0/16.
let lab: NodeLab;
const pods: Netns[] = [];

async function pod(): Promise<Netns> {
  const ns = await createNetns('pod');
  pods.push(ns);
  return ns;
}

async function nodeVeths(): Promise<string[]> {
  const { stdout } = await lab.node.exec(['ip', '-j', 'link', 'show', 'type', 'veth']);
  return (JSON.parse(stdout || '[]') as { ifname: string }[]).map((l) => l.ifname);
}

beforeAll(async () => {
  ensureBuilt();
  await sweepStaleNetns();
  lab = await NodeLab.create('cninode', '10.81.1.0/24', '10.81.0.0/16');
  await lab.startAgent();
});

afterAll(async () => {
  for (const ns of pods) await ns.delete();
  await lab?.destroy();
});

describe('switchyard plugin through the shim and the agent', () => {
  it('ADD wires a pod that reaches its gateway and another pod; CHECK passes; DEL frees all', async () => {
    const a = await pod();
    const b = await pod();
    const ra = await lab.cni({ verb: 'ADD', containerId: 'pod-a', netns: a.path });
    expect(ra.exitCode, ra.stdout).toBe(0);
    const rb = await lab.cni({ verb: 'ADD', containerId: 'pod-b', netns: b.path });
    expect(rb.exitCode, rb.stdout).toBe(0);

    // The result describes what is in the kernel: bridge, host veth, pod interface in its sandbox.
    const result = ra.json as {
      cniVersion: string;
      interfaces: { name: string; mac: string; sandbox?: string; mtu?: number }[];
      ips: { address: string; gateway: string; interface: number }[];
      routes: { dst: string; gw: string }[];
    };
    expect(result.cniVersion).toBe('1.1.0');
    expect(result.interfaces.map((i) => i.name)).toEqual([
      'cni0',
      hostVethName('pod-a', 'eth0'),
      'eth0',
    ]);
    expect(result.interfaces[2]!.sandbox).toBe(a.path);
    expect(result.ips).toHaveLength(1);
    expect(result.ips[0]!.interface).toBe(2);
    expect(result.ips[0]!.gateway).toBe('10.81.1.1');
    expect(result.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.81.1.1' }]);
    const addrA = await podAddress(a);
    expect(addrA).toBe(result.ips[0]!.address);
    const { stdout: mac } = await a.exec(['cat', '/sys/class/net/eth0/address']);
    expect(mac.trim()).toBe(result.interfaces[2]!.mac);
    const { stdout: mtu } = await a.exec(['cat', '/sys/class/net/eth0/mtu']);
    expect(Number(mtu)).toBe(1500);
    // The store holds one host-local style file per pod.
    expect(lab.held().get(addrA!.split('/')[0]!)).toBe('pod-a\r\neth0');

    const addrB = (await podAddress(b))!.split('/')[0]!;
    await a.exec(['ping', '-c', '1', '-W', '2', '10.81.1.1']);
    await a.exec(['ping', '-c', '1', '-W', '2', addrB]);

    const check = await lab.cni({
      verb: 'CHECK',
      containerId: 'pod-a',
      netns: a.path,
      conf: { ...lab.pluginConf(), prevResult: ra.json },
    });
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.stdout).toBe('');
    // Every pod's bridge port is in hairpin mode (a pod reaching itself through its Service VIP);
    // CHECK notices when someone turns it off.
    const hairpin = async (): Promise<Record<string, boolean | undefined>> => {
      const { stdout } = await lab.node.exec(['bridge', '-d', '-j', 'link', 'show']);
      const ports = JSON.parse(stdout || '[]') as { ifname: string; hairpin?: boolean }[];
      return Object.fromEntries(ports.map((p) => [p.ifname, p.hairpin]));
    };
    const vethA = hostVethName('pod-a', 'eth0');
    expect(await hairpin()).toEqual({ [vethA]: true, [hostVethName('pod-b', 'eth0')]: true });
    await lab.node.exec(['bridge', 'link', 'set', 'dev', vethA, 'hairpin', 'off']);
    const unpinned = await lab.cni({
      verb: 'CHECK',
      containerId: 'pod-a',
      netns: a.path,
      conf: { ...lab.pluginConf(), prevResult: ra.json },
    });
    expect(unpinned.exitCode).not.toBe(0);
    expect(unpinned.stdout).toMatch(/not in hairpin mode/);
    await lab.node.exec(['bridge', 'link', 'set', 'dev', vethA, 'hairpin', 'on']);

    const del = await lab.cni({ verb: 'DEL', containerId: 'pod-a', netns: a.path });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(await nodeVeths()).toEqual([hostVethName('pod-b', 'eth0')]);
    expect((await a.execUnchecked(['ip', 'link', 'show', 'eth0'])).exitCode).not.toBe(0);
    expect([...lab.held().values()]).toEqual(['pod-b\r\neth0']);
    // CHECK after DEL fails; DEL again succeeds (idempotent).
    const after = await lab.cni({ verb: 'CHECK', containerId: 'pod-a', netns: a.path });
    expect(after.exitCode).not.toBe(0);
    expect((await lab.cni({ verb: 'DEL', containerId: 'pod-a', netns: a.path })).exitCode).toBe(0);
    expect((await lab.cni({ verb: 'DEL', containerId: 'pod-b', netns: b.path })).exitCode).toBe(0);
    expect(lab.held().size).toBe(0);
  });

  it('DEL releases the address when the pod namespace is already gone', async () => {
    const gone = await createNetns('gone');
    const add = await lab.cni({ verb: 'ADD', containerId: 'pod-gone', netns: gone.path });
    expect(add.exitCode, add.stdout).toBe(0);
    expect(lab.held().size).toBe(1);
    await gone.delete();
    const del = await lab.cni({ verb: 'DEL', containerId: 'pod-gone', netns: gone.path });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(lab.held().size).toBe(0);
    expect(await nodeVeths()).toEqual([]);
  });

  it('answers bad input with the right code and leaves nothing behind', async () => {
    const p = await pod();
    const expectCode = async (
      call: Parameters<NodeLab['cni']>[0],
      code: number,
      mention?: RegExp,
    ): Promise<void> => {
      const r = await lab.cni(call);
      expect(r.exitCode, r.stdout).not.toBe(0);
      expect(r.json?.code, r.stdout).toBe(code);
      if (mention) expect(String(r.json?.msg) + String(r.json?.details)).toMatch(mention);
      expect(lab.held().size).toBe(0);
      expect(await nodeVeths()).toEqual([]);
    };
    await expectCode(
      { verb: 'ADD', netns: p.path, env: { CNI_CONTAINERID: undefined } },
      4,
      /CNI_CONTAINERID/,
    );
    await expectCode({ verb: 'ADD', containerId: 'bad', netns: p.path, conf: '{not json' }, 6);
    await expectCode(
      {
        verb: 'ADD',
        containerId: 'bad',
        netns: p.path,
        conf: { ...lab.pluginConf(), cniVersion: '9.9.9' },
      },
      1,
    );
    await expectCode(
      { verb: 'ADD', containerId: 'bad', netns: p.path, conf: { ...lab.pluginConf(), mtu: 'big' } },
      7,
      /mtu/,
    );
    await expectCode(
      { verb: 'ADD', containerId: 'bad', netns: p.path, env: { CNI_ARGS: 'FOO=bar' } },
      2,
      /FOO/,
    );
    await expectCode({ verb: 'ADD', containerId: 'bad', netns: '/run/netns/does-not-exist' }, 4);
    await expectCode({ verb: 'ADD', containerId: 'bad/id', netns: p.path }, 4);
    // The interface name is taken in the pod: the spec's ADD must fail, and our pair is removed.
    await p.exec(['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    await expectCode({ verb: 'ADD', containerId: 'bad', netns: p.path }, 110, /eth0/);
    expect((await p.exec(['ip', '-j', 'link', 'show', 'eth0'])).stdout).toContain('other0');
  });

  it('STATUS is 0 with a free address and 50 with none or no range; GC frees invalid attachments', async () => {
    expect((await lab.cni({ verb: 'STATUS' })).exitCode).toBe(0);
    const { ipam: _ipam, ...noRange } = lab.pluginConf();
    const unknown = await lab.cni({
      verb: 'STATUS',
      conf: { ...noRange, ipam: { type: 'switchyard-ipam' } },
    });
    expect(unknown.json?.code, unknown.stdout).toBe(50);

    // A /30 has one address to give (.1 is the gateway); once it is taken STATUS is 50.
    const tiny = {
      ...lab.pluginConf(),
      name: 'tiny',
      bridge: 'sytiny0',
      ipam: {
        type: 'switchyard-ipam',
        dataDir: lab.dataDir,
        ranges: [[{ subnet: '10.81.250.0/30' }]],
      },
    };
    const p = await pod();
    expect(
      (await lab.cni({ verb: 'ADD', containerId: 't1', netns: p.path, conf: tiny })).exitCode,
    ).toBe(0);
    const full = await lab.cni({ verb: 'STATUS', conf: tiny });
    expect(full.json?.code, full.stdout).toBe(50);
    expect(
      (await lab.cni({ verb: 'DEL', containerId: 't1', netns: p.path, conf: tiny })).exitCode,
    ).toBe(0);
    expect((await lab.cni({ verb: 'STATUS', conf: tiny })).exitCode).toBe(0);

    const keep = await pod();
    const drop = await pod();
    expect((await lab.cni({ verb: 'ADD', containerId: 'keep', netns: keep.path })).exitCode).toBe(
      0,
    );
    expect((await lab.cni({ verb: 'ADD', containerId: 'drop', netns: drop.path })).exitCode).toBe(
      0,
    );
    const gc = await lab.cni({
      verb: 'GC',
      conf: {
        ...lab.pluginConf(),
        'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
      },
    });
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect([...lab.held().values()]).toEqual(['keep\r\neth0']);
    const noList = await lab.cni({ verb: 'GC' });
    expect(noList.json?.code).toBe(7);
    expect(lab.held().size).toBe(1);
    for (const [id, ns] of [
      ['keep', keep],
      ['drop', drop],
    ] as const) {
      expect((await lab.cni({ verb: 'DEL', containerId: id, netns: ns.path })).exitCode).toBe(0);
    }
    expect(lab.held().size).toBe(0);
  });

  it('VERSION answers every spec version; the shim answers alone when nothing else can', async () => {
    const all = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
    // Through the agent (the config names its socket)...
    const v = await lab.cni({
      verb: 'VERSION',
      conf: { cniVersion: '1.0.0', agentSocket: lab.socket },
    });
    expect(v.json).toEqual({ cniVersion: '1.0.0', supportedVersions: all });
    // ...and what a runtime really sends: no socket named, none at the default path here.
    const bare = await lab.cni({ verb: 'VERSION', conf: { cniVersion: '0.4.0' } });
    expect(bare.json).toEqual({ cniVersion: '0.4.0', supportedVersions: all });
    // The shim reads only top-level keys: a decoy nested in another object (after a string full of
    // escapes and brackets) must not redirect it; the agent answers (the decoy socket does not exist).
    const { agentSocket, ...rest } = lab.pluginConf();
    const tricky = JSON.stringify({
      note: 'a "quoted" {brace} [bracket] \\ and \u00e9',
      args: { cni: { agentSocket: '/nonexistent/decoy.sock' }, list: [{ agentSocket: 'x' }] },
      ...rest,
      agentSocket,
      nodeBinary: '/nonexistent/node', // so only the agent can answer
    });
    const p = await pod();
    const viaAgent = await lab.cni({
      verb: 'ADD',
      containerId: 'tricky',
      netns: p.path,
      conf: tricky,
    });
    expect(viaAgent.exitCode, viaAgent.stdout).toBe(0);
    expect(
      (await lab.cni({ verb: 'DEL', containerId: 'tricky', netns: p.path, conf: tricky })).exitCode,
    ).toBe(0);
    // No agent at this socket and no standalone binary: decodable config -> 50.
    const nowhere = {
      ...lab.pluginConf(),
      agentSocket: join(lab.dir, 'none.sock'),
      nodeBinary: '/nonexistent/node',
    };
    const r = await lab.cni({
      verb: 'ADD',
      containerId: 'x',
      netns: '/run/netns/x',
      conf: nowhere,
    });
    expect(r.json?.code, r.stdout).toBe(50);
    expect(String(r.json?.details)).toContain('none.sock');
  });

  it('answers ADD in older spec versions and gives dual-stack pods both families', async () => {
    const p = await pod();
    const v031 = await lab.cni({
      verb: 'ADD',
      containerId: 'old',
      netns: p.path,
      conf: lab.pluginConf('0.3.1'),
    });
    expect(v031.json?.cniVersion, v031.stdout).toBe('0.3.1');
    expect((v031.json as { ips: { version?: string }[] }).ips[0]!.version).toBe('4');
    expect(
      (
        await lab.cni({
          verb: 'DEL',
          containerId: 'old',
          netns: p.path,
          conf: lab.pluginConf('0.3.1'),
        })
      ).exitCode,
    ).toBe(0);
    const v020 = await lab.cni({
      verb: 'ADD',
      containerId: 'older',
      netns: p.path,
      conf: lab.pluginConf('0.2.0'),
    });
    expect((v020.json as { ip4?: { ip: string } }).ip4?.ip, v020.stdout).toMatch(
      /^10\.81\.1\.\d+\/24$/,
    );
    expect(
      (
        await lab.cni({
          verb: 'DEL',
          containerId: 'older',
          netns: p.path,
          conf: lab.pluginConf('0.2.0'),
        })
      ).exitCode,
    ).toBe(0);

    const dual = {
      ...lab.pluginConf(),
      name: 'dual',
      bridge: 'sydual0',
      ipam: {
        type: 'switchyard-ipam',
        dataDir: lab.dataDir,
        ranges: [[{ subnet: '10.81.200.0/24' }], [{ subnet: 'fd00:81:200::/64' }]],
      },
    };
    const r = await lab.cni({ verb: 'ADD', containerId: 'dual', netns: p.path, conf: dual });
    expect(r.exitCode, r.stdout).toBe(0);
    const ips = (r.json as { ips: { address: string }[] }).ips.map((i) => i.address);
    expect(ips).toEqual(['10.81.200.2/24', 'fd00:81:200::2/64']);
    expect((r.json as { routes: unknown[] }).routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.81.200.1' },
      { dst: '::/0', gw: 'fd00:81:200::1' },
    ]);
    await p.exec(['ping', '-c', '1', '-W', '2', '10.81.200.1']);
    await p.exec(['ping', '-6', '-c', '1', '-W', '2', 'fd00:81:200::1']);
    const check = await lab.cni({ verb: 'CHECK', containerId: 'dual', netns: p.path, conf: dual });
    expect(check.exitCode, check.stdout).toBe(0);
    expect(
      (await lab.cni({ verb: 'DEL', containerId: 'dual', netns: p.path, conf: dual })).exitCode,
    ).toBe(0);
    const { stdout } = await p.exec(['ip', '-j', 'addr']);
    expect(stdout).not.toContain('fd00:81:200::2');
  });

  it('passes switchyard-cnitool validate-plugin', async () => {
    const config = join(lab.dir, 'validate.json');
    writeFileSync(config, JSON.stringify(lab.pluginConf()));
    const r = await runUnchecked(
      [process.execPath, CNITOOL, 'validate-plugin', SHIM, '--config', config],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.stdout).toMatch(/^PASSED/m);
    // Nothing skipped: the shim claims 1.1.0, so STATUS and GC were exercised too.
    for (const check of [
      'ADD result matches the namespace',
      'CHECK',
      'DEL with the namespace gone',
      'STATUS',
      'GC releases invalid attachments',
      'nothing leaked',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^${check}\\s+PASS`, 'm'));
    }
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.exitCode).toBe(0);
  }, 150_000);
});
