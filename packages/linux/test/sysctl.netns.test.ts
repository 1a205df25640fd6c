import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SysctlError, createVethPair, readSysctl, withNetns, writeSysctl } from '../src/index.js';
import { netnsLifecycle } from './helpers.js';

netnsLifecycle();

const rootForwarding = (): string => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();

describe('sysctl inside a namespace', () => {
  it('turns forwarding on in a router namespace only: packets cross it afterwards', async () => {
    const before = rootForwarding();
    await withNetns(['left', 'router', 'right'], async (left, router, right) => {
      await createVethPair(
        { netns: left, name: 'l0', addresses: ['10.206.1.2/24'] },
        { netns: router, name: 'rl', addresses: ['10.206.1.1/24'] },
      );
      await createVethPair(
        { netns: right, name: 'r0', addresses: ['10.206.2.2/24'] },
        { netns: router, name: 'rr', addresses: ['10.206.2.1/24'] },
      );
      await left.exec(['ip', 'route', 'add', 'default', 'via', '10.206.1.1']);
      await right.exec(['ip', 'route', 'add', 'default', 'via', '10.206.2.1']);

      writeSysctl('net.ipv4.ip_forward', 0, { netns: router });
      const blocked = await left.execUnchecked(['ping', '-c', '1', '-W', '1', '10.206.2.2']);
      expect(blocked.stdout).toMatch(/0 received/);

      writeSysctl('net.ipv4.ip_forward', 1, { netns: router });
      expect(readSysctl('net.ipv4.ip_forward', { netns: router })).toBe('1');
      const { stdout } = await router.exec(['sysctl', '-n', 'net.ipv4.ip_forward']);
      expect(stdout.trim()).toBe('1');
      const ping = await left.exec(['ping', '-c', '1', '-W', '2', '10.206.2.2']);
      expect(ping.stdout).toMatch(/1 received/);

      // Slash form for interface names with dots; per-interface keys exist only in the namespace.
      writeSysctl('net/ipv4/conf/rl/rp_filter', 2, { netns: router });
      expect(readSysctl('net/ipv4/conf/rl/rp_filter', { netns: router })).toBe('2');
    });
    expect(rootForwarding()).toBe(before);
  });

  it('refuses keys outside net.* and reports kernel refusals as SysctlError', async () => {
    expect(() => readSysctl('kernel.hostname')).toThrow(SysctlError);
    expect(() => writeSysctl('net/../kernel/hostname', 'x')).toThrow(SysctlError);
    expect(() => writeSysctl('net.ipv4.ip_forward', '1\n0')).toThrow(SysctlError);
    await withNetns(['sc'], async (ns) => {
      expect(() => readSysctl('net.ipv4.no_such_key', { netns: ns })).toThrow(SysctlError);
      expect(() => writeSysctl('net.ipv4.ip_forward', 'banana', { netns: ns })).toThrow(
        SysctlError,
      );
      expect(readSysctl('net.ipv4.ip_forward', { netns: ns })).toBe('0');
    });
  });
});
