import { describe, expect, it } from 'vitest';
import { InvalidRangeError } from '../src/errors.js';
import { IpAddress } from '../src/ip-address.js';
import { IpRange } from '../src/ip-range.js';
import { RangeSet, assertDisjointRangeSets } from '../src/range-set.js';

const ip = (s: string): IpAddress => IpAddress.parse(s);
const walk = (set: RangeSet, after?: string): string[] =>
  [...set.candidates(after === undefined ? undefined : ip(after))].map((c) => c.address.toString());

describe('IpRange defaults (host-local semantics)', () => {
  it('IPv4: gateway .1, start .1, end one before the broadcast', () => {
    const r = IpRange.fromConfig({ subnet: '10.10.0.0/24' });
    expect(r.toConfig()).toEqual({
      subnet: '10.10.0.0/24',
      rangeStart: '10.10.0.1',
      rangeEnd: '10.10.0.254',
      gateway: '10.10.0.1',
    });
    expect(r.usable).toBe(253n); // .2-.254
  });

  it('IPv6: the all-ones address is usable (no broadcast)', () => {
    const r = IpRange.fromConfig({ subnet: 'fd00:1::/120' });
    expect(r.start.toString()).toBe('fd00:1::1');
    expect(r.end.toString()).toBe('fd00:1::ff');
    expect(r.gateway.toString()).toBe('fd00:1::1');
    expect(r.usable).toBe(254n);
  });

  it('the smallest allocatable prefixes are /30 and /126', () => {
    const v4 = IpRange.fromConfig({ subnet: '10.0.0.0/30' });
    expect(v4.toString()).toBe('10.0.0.1-10.0.0.2');
    expect(v4.usable).toBe(1n);
    const v6 = IpRange.fromConfig({ subnet: 'fd00::/126' });
    expect(v6.toString()).toBe('fd00::1-fd00::3');
    expect(v6.usable).toBe(2n);
    for (const subnet of ['10.0.0.0/31', '10.0.0.0/32', 'fd00::/127', 'fd00::/128']) {
      expect(() => IpRange.fromConfig({ subnet }), subnet).toThrow(/too small to allocate from/);
    }
  });

  it('keeps explicit start, end and gateway, including the first and last address of the subnet', () => {
    const r = IpRange.fromConfig({
      subnet: '10.0.0.0/24',
      rangeStart: '10.0.0.0',
      rangeEnd: '10.0.0.255',
      gateway: '10.0.0.254',
    });
    expect(r.toString()).toBe('10.0.0.0-10.0.0.255');
    expect(r.contains(ip('10.0.0.0')) && r.contains(ip('10.0.0.255'))).toBe(true);
    expect(r.usable).toBe(255n);
    const outside = IpRange.fromConfig({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.100' });
    expect(outside.contains(ip('10.0.0.99'))).toBe(false);
    expect(outside.contains(ip('10.0.0.100'))).toBe(true);
    expect(outside.contains(ip('10.0.0.1'))).toBe(false); // the gateway, before the range
    expect(outside.usable).toBe(155n); // .100-.254, gateway outside the range
  });

  it('rejects bad ranges with the offending field', () => {
    const cases: [object, RegExp][] = [
      [
        { subnet: '10.0.0.0/24', gateway: '10.0.1.1' },
        /r\.gateway: 10\.0\.1\.1 not in network 10\.0\.0\.0\/24/,
      ],
      [{ subnet: '10.0.0.0/24', gateway: 'fd00::1' }, /r\.gateway: fd00::1 not in network/],
      [{ subnet: '10.0.0.0/24', rangeStart: '10.0.1.5' }, /r\.rangeStart: .* not in network/],
      [{ subnet: '10.0.0.0/24', rangeEnd: '9.255.255.255' }, /r\.rangeEnd: .* not in network/],
      [
        { subnet: '10.0.0.0/24', rangeStart: '10.0.0.50', rangeEnd: '10.0.0.40' },
        /r: rangeStart 10\.0\.0\.50 is after rangeEnd/,
      ],
      [{ subnet: '10.0.0.5/24' }, /r\.subnet: .*host bits set/],
      [{ subnet: '010.0.0.0/24' }, /r\.subnet: invalid address/],
      [{ subnet: 42 }, /r: a range needs a "subnet" string/],
      [{ subnet: '10.0.0.0/24', gateway: 7 }, /r\.gateway: must be an IP address string/],
    ];
    for (const [config, message] of cases) {
      expect(() => IpRange.fromConfig(config as never, 'r'), JSON.stringify(config)).toThrow(
        message,
      );
      expect(() => IpRange.fromConfig(config as never, 'r')).toThrow(InvalidRangeError);
    }
  });

  it('overlaps only within a family and only when the intervals meet', () => {
    const a = IpRange.fromConfig({ subnet: '10.0.0.0/24', rangeEnd: '10.0.0.100' });
    const b = IpRange.fromConfig({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.101' });
    const c = IpRange.fromConfig({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.100' });
    expect(a.overlaps(b)).toBe(false);
    expect(a.overlaps(c) && c.overlaps(a)).toBe(true); // they share exactly .100
    expect(a.overlaps(IpRange.fromConfig({ subnet: 'fd00::/120' }))).toBe(false);
  });
});

describe('RangeSet', () => {
  it('rejects empty sets, mixed families and overlapping ranges', () => {
    expect(() => RangeSet.fromConfig([], 's')).toThrow(/s: empty range set/);
    expect(() =>
      RangeSet.fromConfig([{ subnet: '10.0.0.0/24' }, { subnet: 'fd00::/64' }], 's'),
    ).toThrow(/s\[1\]: mixed address families/);
    expect(() =>
      RangeSet.fromConfig([{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/25' }], 's'),
    ).toThrow(/ranges 10\.0\.0\.1-10\.0\.0\.254 and 10\.0\.0\.1-10\.0\.0\.126 overlap/);
    expect(() => RangeSet.fromConfig({} as never, 's')).toThrow(InvalidRangeError);
  });

  it('finds the range that holds an address', () => {
    const set = RangeSet.fromConfig([{ subnet: '10.0.0.0/24' }, { subnet: '10.0.5.0/24' }]);
    expect(set.rangeFor(ip('10.0.5.9'))?.subnet.toString()).toBe('10.0.5.0/24');
    expect(set.contains(ip('10.0.0.255'))).toBe(false); // broadcast: outside [start, end]
    expect(set.contains(ip('10.0.1.1'))).toBe(false);
    expect(set.toString()).toBe('10.0.0.1-10.0.0.254,10.0.5.1-10.0.5.254');
    expect(set.usable).toBe(506n);
  });

  it('iterates round-robin from after the last reserved address, across ranges, skipping gateways', () => {
    const set = RangeSet.fromConfig([{ subnet: '10.0.0.0/29' }, { subnet: '10.0.1.0/30' }]);
    const all = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.1.2'];
    expect(walk(set)).toEqual(all);
    expect(walk(set, '10.0.0.4')).toEqual([
      '10.0.0.5',
      '10.0.0.6',
      '10.0.1.2',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
    ]);
    // The end of the last range wraps to the first range.
    expect(walk(set, '10.0.1.2')).toEqual(all);
    // The end of a middle range continues in the next one.
    expect(walk(set, '10.0.0.6')).toEqual(['10.0.1.2', ...all.slice(0, 5)]);
    // A last address outside the set (ranges changed) starts over at the beginning.
    expect(walk(set, '192.168.0.1')).toEqual(all);
    expect(walk(set, 'fd00::1')).toEqual(all);
    // The gateway as last address (requested by nobody, but possible after a config change).
    expect(walk(set, '10.0.0.1')).toEqual(all);
  });

  it('visits every address exactly once from any starting point', () => {
    const set = RangeSet.fromConfig([
      { subnet: 'fd00::/125', gateway: 'fd00::4' },
      { subnet: 'fd00:1::/126', rangeStart: 'fd00:1::2' },
    ]);
    const all = walk(set);
    expect(all).toEqual([
      'fd00::1',
      'fd00::2',
      'fd00::3',
      'fd00::5',
      'fd00::6',
      'fd00::7',
      'fd00:1::2',
      'fd00:1::3',
    ]);
    for (const after of all) {
      const order = walk(set, after);
      expect(order).toHaveLength(all.length);
      expect(new Set(order)).toEqual(new Set(all));
      expect(order.at(-1)).toBe(after);
    }
  });

  it('yields nothing when the only address is the gateway', () => {
    const set = RangeSet.fromConfig([
      { subnet: '10.0.0.0/30', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.1' },
    ]);
    expect(walk(set)).toEqual([]);
    expect(set.usable).toBe(0n);
  });

  it('assertDisjointRangeSets rejects overlapping sets and accepts dual-stack', () => {
    const v4 = RangeSet.fromConfig([{ subnet: '10.0.0.0/24' }]);
    const v4b = RangeSet.fromConfig([{ subnet: '10.0.0.0/16' }]);
    const v6 = RangeSet.fromConfig([{ subnet: 'fd00::/64' }]);
    expect(() => assertDisjointRangeSets([v4, v6])).not.toThrow();
    expect(() => assertDisjointRangeSets([v4, v6, v4b])).toThrow(
      /range set 0 overlaps with range set 2/,
    );
    expect(() => assertDisjointRangeSets([v4, v6, v4b])).toThrow(InvalidRangeError);
  });
});
