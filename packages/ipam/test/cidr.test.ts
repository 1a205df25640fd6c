import { describe, expect, it } from 'vitest';
import { Cidr } from '../src/cidr.js';
import { InvalidAddressError } from '../src/errors.js';
import { IpAddress } from '../src/ip-address.js';

const ip = (s: string): IpAddress => IpAddress.parse(s);

describe('Cidr', () => {
  it('parses IPv4 and IPv6 prefixes and reports their bounds', () => {
    const v4 = Cidr.parse('10.244.1.0/24');
    expect(v4.family).toBe(4);
    expect(v4.size).toBe(256n);
    expect(v4.first.toString()).toBe('10.244.1.0');
    expect(v4.last.toString()).toBe('10.244.1.255');
    expect(v4.mask.toString()).toBe('255.255.255.0');
    const v6 = Cidr.parse('fd00:10::/64');
    expect(v6.size).toBe(1n << 64n);
    expect(v6.last.toString()).toBe('fd00:10::ffff:ffff:ffff:ffff');
    expect(v6.mask.toString()).toBe('ffff:ffff:ffff:ffff::');
    expect(v6.toString()).toBe('fd00:10::/64');
  });

  it('handles the edge prefixes /0, /31, /32, /127, /128', () => {
    expect(Cidr.parse('0.0.0.0/0').size).toBe(1n << 32n);
    expect(Cidr.parse('0.0.0.0/0').last.toString()).toBe('255.255.255.255');
    const p31 = Cidr.parse('10.0.0.0/31');
    expect([...p31.addresses()].map(String)).toEqual(['10.0.0.0', '10.0.0.1']);
    const p32 = Cidr.parse('10.0.0.7/32');
    expect(p32.first.equals(p32.last)).toBe(true);
    expect(p32.contains(ip('10.0.0.7'))).toBe(true);
    expect(p32.contains(ip('10.0.0.8'))).toBe(false);
    expect([...Cidr.parse('fd00::/127').addresses()].map(String)).toEqual(['fd00::', 'fd00::1']);
    const p128 = Cidr.parse('fd00::5/128');
    expect(p128.size).toBe(1n);
    expect(p128.mask.toString()).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(Cidr.parse('::/0').last.toString()).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('rejects host bits unless asked to keep the network', () => {
    expect(() => Cidr.parse('10.0.0.5/24')).toThrow(
      /host bits set; the network for \/24 is 10.0.0.0/,
    );
    expect(Cidr.parse('10.0.0.5/24', { allowHostBits: true }).toString()).toBe('10.0.0.0/24');
    expect(Cidr.parse('fd00::1/64', { allowHostBits: true }).toString()).toBe('fd00::/64');
  });

  it('rejects malformed prefixes', () => {
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/-1',
      '10.0.0.0/08',
      '10.0.0.0/',
      '/24',
      '::ffff:10.0.0.0/104',
      'x/8',
    ]) {
      expect(() => Cidr.parse(bad), bad).toThrow(InvalidAddressError);
    }
  });

  it('answers contains, covers and overlaps, never across families', () => {
    const a = Cidr.parse('10.0.0.0/16');
    const b = Cidr.parse('10.0.128.0/17');
    const c = Cidr.parse('10.1.0.0/16');
    expect(a.covers(b)).toBe(true);
    expect(b.covers(a)).toBe(false);
    expect(a.overlaps(b) && b.overlaps(a)).toBe(true);
    expect(a.overlaps(c)).toBe(false);
    expect(a.contains(ip('10.0.255.255'))).toBe(true);
    expect(a.contains(ip('10.1.0.0'))).toBe(false);
    // ::a00:0 has the same numeric value as 10.0.0.0 but is another family.
    expect(a.contains(IpAddress.fromBigInt(6, ip('10.0.0.1').value))).toBe(false);
    expect(Cidr.parse('::/0').overlaps(Cidr.parse('0.0.0.0/0'))).toBe(false);
  });

  it('maps offsets to addresses and back, counting negative offsets from the end', () => {
    const c = Cidr.parse('10.1.0.0/23');
    expect(c.at(0n).toString()).toBe('10.1.0.0');
    expect(c.at(256n).toString()).toBe('10.1.1.0');
    expect(c.at(-1n).toString()).toBe('10.1.1.255');
    expect(c.at(-2n).toString()).toBe('10.1.1.254');
    expect(c.offsetOf(ip('10.1.1.3'))).toBe(259n);
    expect(() => c.at(512n)).toThrow(InvalidAddressError);
    expect(() => c.at(-513n)).toThrow(InvalidAddressError);
    expect(() => c.offsetOf(ip('10.1.2.0'))).toThrow(InvalidAddressError);
    const v6 = Cidr.parse('fd00::/64');
    expect(v6.at(-1n).toString()).toBe('fd00::ffff:ffff:ffff:ffff');
    expect(v6.offsetOf(ip('fd00::1:0'))).toBe(65536n);
  });

  it('iterates from a given address to the end', () => {
    const c = Cidr.parse('10.0.0.0/30');
    expect([...c.addresses(ip('10.0.0.2'))].map(String)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect([...c.addresses(ip('10.0.1.0'))]).toEqual([]);
  });

  it('builds the covering prefix of an address', () => {
    expect(Cidr.of(ip('192.168.7.200'), 20).toString()).toBe('192.168.0.0/20');
    expect(Cidr.of(ip('fd00::abcd'), 120).toString()).toBe('fd00::ab00/120');
    expect(() => Cidr.of(ip('10.0.0.0'), 33)).toThrow(InvalidAddressError);
    expect(Cidr.parse('10.0.0.0/8').equals(Cidr.of(ip('10.9.9.9'), 8))).toBe(true);
  });
});
