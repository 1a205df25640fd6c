import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InvalidAddressError } from '../src/errors.js';
import { IpAddress } from '../src/ip-address.js';

/** Node's WHATWG URL parser serializes IPv6 per RFC 5952: an independent oracle for formatting. */
function whatwg(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

describe('IpAddress', () => {
  it('parses and formats IPv4, including both ends of the space', () => {
    expect(IpAddress.parse('0.0.0.0').value).toBe(0n);
    expect(IpAddress.parse('255.255.255.255').value).toBe(0xffffffffn);
    expect(IpAddress.parse('10.244.1.7').toString()).toBe('10.244.1.7');
    expect(IpAddress.parse('10.244.1.7').family).toBe(4);
  });

  it('rejects malformed IPv4 the way Go does (leading zeros, short, out of range)', () => {
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '1.2.3.-1',
      '',
      '1..2.3',
      ' 1.2.3.4',
    ]) {
      expect(() => IpAddress.parse(bad), bad).toThrow(InvalidAddressError);
    }
  });

  it('parses IPv6 forms and formats them in RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a lone zero group stays
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, want] of cases) {
      expect(IpAddress.parse(input).toString(), input).toBe(want);
      expect(want).toBe(whatwg(input));
    }
  });

  it('takes an IPv4-mapped IPv6 address as the IPv4 address (CNI canonicalization)', () => {
    const ip = IpAddress.parse('::ffff:10.1.2.3');
    expect(ip.family).toBe(4);
    expect(ip.toString()).toBe('10.1.2.3');
    expect(IpAddress.parse('::ffff:a01:203').equals(ip)).toBe(true);
  });

  it('rejects malformed IPv6', () => {
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7',
      '12345::',
      'fe80::1%eth0',
      ':::',
      '1.2.3.4::',
      'g::1',
    ]) {
      expect(() => IpAddress.parse(bad), bad).toThrow(InvalidAddressError);
    }
  });

  it('agrees with node:net on validity and with WHATWG on formatting for random addresses', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      // Many zero groups so that "::" placement gets exercised.
      const groups = Array.from({ length: 8 }, () => (rand(3) === 0 ? rand(0x10000) : 0));
      const text = groups.map((g) => g.toString(16)).join(':');
      const ip = IpAddress.parse(text);
      if (ip.family === 6) expect(ip.toString()).toBe(whatwg(text));
      expect(isIP(ip.toString())).toBe(ip.family);
      expect(IpAddress.parse(ip.toString()).equals(ip)).toBe(true);
    }
  });

  it('does arithmetic with bounds checks', () => {
    expect(IpAddress.parse('10.0.0.255').add(1).toString()).toBe('10.0.1.0');
    expect(IpAddress.parse('fd00::ffff').add(1n).toString()).toBe('fd00::1:0');
    expect(() => IpAddress.parse('255.255.255.255').add(1)).toThrow(InvalidAddressError);
    expect(() => IpAddress.parse('::').add(-1)).toThrow(InvalidAddressError);
    expect(() => IpAddress.fromBigInt(4, 1n << 32n)).toThrow(InvalidAddressError);
  });

  it('compares and orders IPv4 before IPv6', () => {
    const a = IpAddress.parse('10.0.0.1');
    const b = IpAddress.parse('10.0.0.2');
    const c = IpAddress.parse('::1');
    expect(a.compare(b)).toBe(-1);
    expect(b.compare(a)).toBe(1);
    expect(a.compare(IpAddress.parse('10.0.0.1'))).toBe(0);
    expect(a.compare(c)).toBeLessThan(0);
    expect(a.equals(IpAddress.fromBigInt(6, a.value))).toBe(false);
    expect(JSON.stringify({ ip: a })).toBe('{"ip":"10.0.0.1"}');
  });
});
