import { describe, expect, it } from 'vitest';
import {
  InvalidAddressError,
  bytesToIp,
  bytesToMac,
  cidrContains,
  ipToBytes,
  macToBytes,
  networkOf,
  parseCidr,
} from '../src/index.js';

describe('IP and MAC helpers', () => {
  it('round-trips IPv4 and IPv6 through network-order bytes', () => {
    expect([...ipToBytes('10.244.1.0')]).toEqual([10, 244, 1, 0]);
    for (const ip of [
      '::',
      '::1',
      'fd00:10:244:1::',
      '2001:db8::8:800:200c:417a',
      'fe80::1:0:0:1',
    ]) {
      expect(bytesToIp(ipToBytes(ip))).toBe(ip);
    }
    expect(bytesToIp(ipToBytes('2001:DB8:0:0:0:0:0:1'))).toBe('2001:db8::1');
    expect(bytesToIp(ipToBytes('::ffff:10.1.2.3'))).toBe('::ffff:a01:203');
  });

  it('parses prefixes and computes networks and containment', () => {
    expect(parseCidr('10.244.1.7/24')).toEqual({
      address: '10.244.1.7',
      prefixLength: 24,
      family: 4,
    });
    expect(parseCidr('fd00::1')).toEqual({ address: 'fd00::1', prefixLength: 128, family: 6 });
    expect(networkOf('10.244.1.7/23').address).toBe('10.244.0.0');
    expect(networkOf('fd00:1:2:3::9/62').address).toBe('fd00:1:2::');
    expect(cidrContains('172.18.0.0/16', '172.18.5.9')).toBe(true);
    expect(cidrContains('172.18.0.0/16', '172.19.0.1')).toBe(false);
    expect(cidrContains('172.18.0.0/16', 'fd00::1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
  });

  it('rejects malformed addresses with InvalidAddressError', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/24', 'fd00::/129', '10.0.0.0/', '10.0.0.0/-1', 'x']) {
      expect(() => parseCidr(bad)).toThrow(InvalidAddressError);
    }
    expect(() => macToBytes('0a:00:00:00:00')).toThrow(InvalidAddressError);
    expect(bytesToMac(macToBytes('0A:58:0a:f4:01:01'))).toBe('0a:58:0a:f4:01:01');
  });
});
