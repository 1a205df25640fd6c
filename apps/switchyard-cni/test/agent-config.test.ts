import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIpamConfig } from '@switchyard/ipam';
import { FlagError } from '@switchyard/kube';
import { buildConflist, writeConflist } from '../src/agent/conflist.js';
import { AgentOptionError, parseAgentOptions } from '../src/agent/options.js';
import { KeyedSerialQueue } from '../src/agent/serial-queue.js';
import { ShimProtocolError, decodeRequest, encodeResponse } from '../src/agent/shim-protocol.js';

const defaults = { standaloneNode: '/usr/bin/node', standaloneScript: '/x/standalone.js' };

describe('agent options', () => {
  it('reads flags, falls back to the environment, and has documented defaults', () => {
    const o = parseAgentOptions(
      ['--pod-cidr', '10.244.1.0/24,fd00:1::/64', '--mtu', '1450'],
      { NODE_NAME: 'n1', CLUSTER_CIDR: '10.244.0.0/16' },
      defaults,
    );
    expect(o.nodeName).toBe('n1');
    expect(o.podCidrs).toEqual(['10.244.1.0/24', 'fd00:1::/64']);
    expect(o.clusterCidrs).toEqual(['10.244.0.0/16']);
    expect(o.mtu).toBe(1450);
    expect(o.cniConfDir).toBe('/etc/cni/net.d');
    expect(o.socket).toBe('/run/switchyard/cni.sock');
    expect(o.overlayMode).toBe('vxlan');
    expect(o.standaloneScript).toBe('/x/standalone.js');
  });

  it('rejects bad values naming the flag', () => {
    expect(() => parseAgentOptions(['--pod-cidr', '10.244.1.5/24'], {}, defaults)).toThrow(
      /--pod-cidr/,
    );
    expect(() => parseAgentOptions(['--overlay-mode', 'gre'], {}, defaults)).toThrow(
      AgentOptionError,
    );
    expect(() => parseAgentOptions(['--mtu', '70000'], {}, defaults)).toThrow(/--mtu/);
    expect(() => parseAgentOptions(['--bogus'], {}, defaults)).toThrow(AgentOptionError);
  });

  it("throws @switchyard/kube's FlagError, naming the flag (what main turns into exit 2)", () => {
    expect(AgentOptionError).toBe(FlagError);
    expect(() => parseAgentOptions([], { OVERLAY_MODE: 'gre' }, defaults)).toThrow(
      expect.objectContaining({ flag: '--overlay-mode', name: 'FlagError' }),
    );
  });
});

describe('conflist', () => {
  const input = {
    network: 'switchyard',
    podCidrs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    bridge: 'cni0',
    mtu: 1450,
    dataDir: '/run/switchyard/ipam',
    agentSocket: '/run/switchyard/cni.sock',
    nodeBinary: '/opt/switchyard/bin/node',
    standaloneScript: '/opt/switchyard/lib/standalone.js',
  };

  it('carries one range set per pod CIDR in host-local format, readable by @switchyard/ipam', () => {
    const list = buildConflist(input) as {
      name: string;
      cniVersion: string;
      plugins: Record<string, unknown>[];
    };
    const plugin = list.plugins[0]!;
    expect(plugin.type).toBe('switchyard');
    expect(plugin.capabilities).toEqual({ portMappings: true });
    const ipam = parseIpamConfig({ ...plugin, name: list.name, cniVersion: list.cniVersion });
    expect(ipam.rangeSets.map((s) => s.toString())).toHaveLength(2);
    expect(ipam.dataDir).toBe('/run/switchyard/ipam');
  });

  it('is written atomically and only when it changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-conflist-'));
    try {
      expect(
        writeConflist(join(dir, 'net.d'), '10-switchyard.conflist', buildConflist(input)),
      ).toBe(true);
      const path = join(dir, 'net.d', '10-switchyard.conflist');
      const mtime = statSync(path).mtimeMs;
      expect(
        writeConflist(join(dir, 'net.d'), '10-switchyard.conflist', buildConflist(input)),
      ).toBe(false);
      expect(statSync(path).mtimeMs).toBe(mtime);
      expect(
        writeConflist(
          join(dir, 'net.d'),
          '10-switchyard.conflist',
          buildConflist({ ...input, mtu: 1400 }),
        ),
      ).toBe(true);
      expect(JSON.parse(readFileSync(path, 'utf8')).plugins[0].mtu).toBe(1400);
      expect(readdirSync(join(dir, 'net.d'))).toEqual(['10-switchyard.conflist']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shim protocol', () => {
  const field = (s: string | Buffer): Buffer => {
    const b = Buffer.from(s);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const request = (vars: string[], stdin: string): Buffer => {
    const head = Buffer.alloc(8);
    head.write('SYC1');
    head.writeUInt32BE(vars.length, 4);
    return Buffer.concat([head, ...vars.map(field), field(stdin)]);
  };

  it('decodes a request the way the shim frames it, waiting for the rest when incomplete', () => {
    const bytes = request(
      ['@pid=42', '@netns_ino=4026531840', 'CNI_COMMAND=ADD', 'OTHER=x'],
      '{"a":1}',
    );
    for (const cut of [3, 8, 20, bytes.length - 1])
      expect(decodeRequest(bytes.subarray(0, cut))).toBeUndefined();
    const req = decodeRequest(bytes)!;
    expect(req.pid).toBe(42);
    expect(req.netnsIno).toBe(4026531840n);
    expect(req.env).toEqual({ CNI_COMMAND: 'ADD' }); // only CNI_* variables pass
    expect(req.stdin.toString()).toBe('{"a":1}');
  });

  it('refuses what can never be a request', () => {
    expect(() => decodeRequest(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(ShimProtocolError);
    expect(() =>
      decodeRequest(Buffer.concat([request(['CNI_X=1'], ''), Buffer.from('x')])),
    ).toThrow(/trailing/);
    expect(() => decodeRequest(request(['novalue'], ''))).toThrow(/bad variable/);
    // A length no request can have is refused at once, not waited for.
    const huge = Buffer.alloc(12);
    huge.write('SYC1');
    huge.writeUInt32BE(1, 4);
    huge.writeUInt32BE(0xffffffff, 8);
    expect(() => decodeRequest(huge)).toThrow(/field of/);
  });

  it('encodes a response as status, stdout, stderr', () => {
    const b = encodeResponse({ status: 1, stdout: 'out', stderr: 'é' });
    expect(b.subarray(0, 4).toString()).toBe('SYR1');
    expect(b.readUInt32BE(4)).toBe(1);
    expect(b.readUInt32BE(8)).toBe(3);
    expect(b.subarray(12, 15).toString()).toBe('out');
    expect(b.readUInt32BE(15)).toBe(2);
    expect(b.subarray(19).toString()).toBe('é');
  });
});

describe('KeyedSerialQueue', () => {
  it('serialises per key and runs different keys concurrently, past failures', async () => {
    const q = new KeyedSerialQueue();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async (): Promise<void> => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const a1 = q.run('a', step('a1', 30, true));
    const a2 = q.run('a', step('a2', 1));
    const b1 = q.run('b', step('b1', 1));
    await expect(a1).rejects.toThrow('a1');
    await Promise.all([a2, b1]);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    await new Promise((r) => setTimeout(r, 0));
    expect(q.size).toBe(0);
  });
});
