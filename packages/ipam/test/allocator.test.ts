import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Allocator } from '../src/allocator.js';
import { DiskStore } from '../src/disk-store.js';
import {
  AlreadyAllocatedError,
  NotAllocatedError,
  RangeExhaustedError,
  RequestedAddressError,
} from '../src/errors.js';
import { collectGarbage } from '../src/gc.js';
import { IpAddress } from '../src/ip-address.js';
import { type RangeConfig } from '../src/ip-range.js';
import { RangeSet } from '../src/range-set.js';
import { HOST_LOCAL, runPlugin, snapshot, tempDir } from './helpers.js';

const ip = (s: string): IpAddress => IpAddress.parse(s);
let dir: ReturnType<typeof tempDir>;

beforeEach(() => {
  dir = tempDir('alloc');
});
afterEach(() => dir.cleanup());

function allocator(ranges: RangeConfig[][], network = 'net'): Allocator {
  const sets = ranges.map((r, i) => RangeSet.fromConfig(r, `ranges[${i}]`));
  return new Allocator(sets, new DiskStore(network, { dataDir: dir.path }));
}
const addrs = (a: { address: IpAddress }[]): string[] => a.map((x) => x.address.toString());

describe('Allocator', () => {
  it('gives one address per range set, with the range for mask and gateway', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/64' }]]);
    const got = a.allocate({ containerId: 'c1', ifName: 'eth0' });
    expect(addrs(got)).toEqual(['10.1.0.2', 'fd00:1::2']);
    expect(got[0]!.range.gateway.toString()).toBe('10.1.0.1');
    expect(got[1]!.range.subnet.prefix).toBe(64);
    expect(got.map((g) => g.rangeSetIndex)).toEqual([0, 1]);
  });

  it('continues round-robin after the last reserved address instead of reusing a freed one', () => {
    const a = allocator([[{ subnet: '10.1.0.0/29' }]]); // .2-.6
    for (const c of ['a', 'b', 'c']) a.allocate({ containerId: c, ifName: 'eth0' });
    expect(a.release({ containerId: 'a', ifName: 'eth0' }).map(String)).toEqual(['10.1.0.2']);
    expect(addrs(a.allocate({ containerId: 'd', ifName: 'eth0' }))).toEqual(['10.1.0.5']);
    expect(addrs(a.allocate({ containerId: 'e', ifName: 'eth0' }))).toEqual(['10.1.0.6']);
    // Wraps to the start and finds the freed .2.
    expect(addrs(a.allocate({ containerId: 'f', ifName: 'eth0' }))).toEqual(['10.1.0.2']);
    expect(() => a.allocate({ containerId: 'g', ifName: 'eth0' })).toThrow(RangeExhaustedError);
    expect(() => a.allocate({ containerId: 'g', ifName: 'eth0' })).toThrow(
      'no IP addresses available in range set 10.1.0.1-10.1.0.6',
    );
  });

  it('refuses a second address for the same attachment, but not for another interface', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }]]);
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    const err = (() => {
      try {
        a.allocate({ containerId: 'c1', ifName: 'eth0' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AlreadyAllocatedError);
    expect((err as AlreadyAllocatedError).address).toBe('10.1.0.2');
    expect(() =>
      a.allocate({ containerId: 'c1', ifName: 'eth0', requested: [ip('10.1.0.50')] }),
    ).toThrow(AlreadyAllocatedError);
    expect(addrs(a.allocate({ containerId: 'c1', ifName: 'eth1' }))).toEqual(['10.1.0.3']);
    expect(a.store.withLock(() => a.store.list()).length).toBe(2);
  });

  it('honours requested addresses and rejects taken, gateway and unplaceable ones without side effects', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/64' }]]);
    const got = a.allocate({
      containerId: 'c1',
      ifName: 'eth0',
      requested: [ip('fd00:1::99'), ip('10.1.0.77')],
    });
    expect(addrs(got)).toEqual(['10.1.0.77', 'fd00:1::99']);
    const before = snapshot(join(dir.path, 'net'));
    const bad: [IpAddress[], RegExp][] = [
      [[ip('10.1.0.77')], /10\.1\.0\.77 is not available/],
      [[ip('10.1.0.1')], /10\.1\.0\.1 is the gateway/],
      [[ip('10.9.0.1')], /10\.9\.0\.1 unused/],
      [[ip('10.1.0.5'), ip('10.1.0.6')], /10\.1\.0\.6 unused/], // two in one set
    ];
    for (const [requested, message] of bad) {
      expect(() => a.allocate({ containerId: 'c2', ifName: 'eth0', requested })).toThrow(message);
      expect(() => a.allocate({ containerId: 'c2', ifName: 'eth0', requested })).toThrow(
        RequestedAddressError,
      );
      // Whatever was reserved before the failure was given back (last_reserved_ip may move, as in host-local).
      const after = snapshot(join(dir.path, 'net'));
      expect(Object.keys(after).filter((k) => !k.startsWith('last_'))).toEqual(
        Object.keys(before).filter((k) => !k.startsWith('last_')),
      );
    }
  });

  it('releases the exact attachment first, and legacy ID-only records only when there is none', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }]]);
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    a.allocate({ containerId: 'c1', ifName: 'eth1' });
    writeFileSync(join(dir.path, 'net', '10.1.0.100'), 'c1');
    expect(a.release({ containerId: 'c1', ifName: 'eth1' }).map(String)).toEqual(['10.1.0.3']);
    expect(a.release({ containerId: 'c1', ifName: 'eth0' }).map(String)).toEqual(['10.1.0.2']);
    expect(a.release({ containerId: 'c1', ifName: 'eth0' }).map(String)).toEqual(['10.1.0.100']);
    expect(a.release({ containerId: 'c1', ifName: 'eth0' })).toEqual([]); // DEL is idempotent
  });

  it('checks that the attachment holds an address in every range set', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/64' }]]);
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    expect(addrs(a.check({ containerId: 'c1', ifName: 'eth0' }))).toEqual([
      '10.1.0.2',
      'fd00:1::2',
    ]);
    expect(() => a.check({ containerId: 'c1', ifName: 'eth1' })).toThrow(NotAllocatedError);
    a.store.withLock(() => a.store.release(ip('fd00:1::2')));
    expect(() => a.check({ containerId: 'c1', ifName: 'eth0' })).toThrow(/in range set fd00:1::1-/);
  });

  it('knows when a range set is full', () => {
    const a = allocator([[{ subnet: '10.1.0.0/30' }]]); // only .2
    expect(a.hasFreeAddresses()).toBe(true);
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    expect(a.hasFreeAddresses()).toBe(false);
  });

  it('skips addresses taken by others and by the gateway when wrapping across ranges', () => {
    const a = allocator([
      [{ subnet: '10.1.0.0/30' }, { subnet: '10.2.0.0/30', gateway: '10.2.0.2' }],
    ]);
    expect(addrs(a.allocate({ containerId: 'x', ifName: 'eth0' }))).toEqual(['10.1.0.2']);
    expect(addrs(a.allocate({ containerId: 'y', ifName: 'eth0' }))).toEqual(['10.2.0.1']);
    expect(() => a.allocate({ containerId: 'z', ifName: 'eth0' })).toThrow(RangeExhaustedError);
  });
});

describe('Allocator vs the host-local binary', () => {
  it('produces the same files, byte for byte, for the same sequence of operations', () => {
    const ranges = [
      [{ subnet: '10.30.0.0/29' }, { subnet: '10.30.1.0/30' }],
      [{ subnet: 'fd00:30::/125', gateway: 'fd00:30::3' }],
    ];
    const ops: [cmd: 'ADD' | 'DEL', id: string, ifName: string, ip?: string][] = [
      ['ADD', 'a', 'eth0'],
      ['ADD', 'b', 'eth0'],
      ['ADD', 'a', 'net1'],
      ['DEL', 'b', 'eth0'],
      ['ADD', 'c', 'eth0', '10.30.0.3'],
      ['ADD', 'd', 'eth0'],
      ['ADD', 'e', 'eth0'],
      ['DEL', 'a', 'eth0'],
      ['ADD', 'f', 'eth0'],
      ['ADD', 'g', 'eth0'],
    ];
    const hlDir = join(dir.path, 'hl');
    const config = {
      cniVersion: '1.0.0',
      name: 'cmp',
      ipam: { type: 'host-local', dataDir: hlDir, ranges },
    };
    const ours = allocator(ranges, 'cmp');
    for (const [cmd, id, ifName, requested] of ops) {
      const args = requested ? `IP=${requested}` : '';
      const r = runPlugin(HOST_LOCAL, cmd, config, { containerId: id, ifName, args });
      expect(r.status, r.stdout).toBe(0);
      if (cmd === 'ADD') {
        const got = ours.allocate({
          containerId: id,
          ifName,
          requested: requested ? [ip(requested)] : [],
        });
        const theirs = (r.json as { ips: { address: string }[] }).ips.map(
          (x) => x.address.split('/')[0],
        );
        expect(addrs(got)).toEqual(theirs);
      } else {
        ours.release({ containerId: id, ifName });
      }
    }
    expect(snapshot(join(dir.path, 'cmp'))).toEqual(snapshot(join(hlDir, 'cmp')));
  });
});

describe('collectGarbage', () => {
  it('frees allocations whose attachment is not valid, keeps lock and last_reserved_ip', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }]]);
    for (const [id, ifName] of [
      ['keep', 'eth0'],
      ['keep', 'eth1'],
      ['gone', 'eth0'],
    ] as const) {
      a.allocate({ containerId: id, ifName });
    }
    const freed = collectGarbage(a.store, [{ containerID: 'keep', ifname: 'eth0' }]);
    expect(freed.map(String).sort()).toEqual(['10.1.0.3', '10.1.0.4']);
    expect(Object.keys(snapshot(join(dir.path, 'net')))).toEqual([
      '10.1.0.2',
      'last_reserved_ip.0',
      'lock',
    ]);
  });

  it('an empty valid list frees everything; legacy records live while their container ID is valid', () => {
    const a = allocator([[{ subnet: '10.1.0.0/24' }]]);
    a.allocate({ containerId: 'x', ifName: 'eth0' });
    writeFileSync(join(dir.path, 'net', '10.1.0.50'), 'legacy-id');
    writeFileSync(join(dir.path, 'net', '10.1.0.51'), ''); // host-local killed between create and write
    writeFileSync(join(dir.path, 'net', '.switchyard-tmp-1-1'), 'x\r\neth0');
    const freed = collectGarbage(a.store, [{ containerID: 'legacy-id', ifname: 'eth9' }]);
    expect(freed.map(String).sort()).toEqual(['10.1.0.2', '10.1.0.51']);
    expect(Object.keys(snapshot(join(dir.path, 'net')))).toEqual([
      '10.1.0.50',
      'last_reserved_ip.0',
      'lock',
    ]);
    collectGarbage(a.store, []);
    expect(Object.keys(snapshot(join(dir.path, 'net')))).toEqual(['last_reserved_ip.0', 'lock']);
    // Freed addresses are allocatable again.
    expect(
      addrs(a.allocate({ containerId: 'n', ifName: 'eth0', requested: [ip('10.1.0.50')] })),
    ).toEqual(['10.1.0.50']);
  });
});
