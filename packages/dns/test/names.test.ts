import { describe, expect, it } from 'vitest';
import { DnsEncodeError } from '../src/errors.js';
import { canonicalIp, formatIPv6, ipv6Bytes } from '../src/ip.js';
import {
  canonicalName,
  dashedLabelToIp,
  ipToDashedLabel,
  ipToReverseName,
  isSubdomain,
  nameLabels,
  reverseNameToIp,
} from '../src/names.js';

describe('names', () => {
  it('canonicalises case and the trailing dot, but not an escaped final dot', () => {
    expect(canonicalName('Svc1.TestNS.svc.Cluster.Local.')).toBe('svc1.testns.svc.cluster.local');
    expect(canonicalName('a\\.')).toBe('a\\.');
    expect(isSubdomain('a.cluster.local', 'cluster.local')).toBe(true);
    expect(isSubdomain('acluster.local', 'cluster.local')).toBe(false);
    expect(isSubdomain('cluster.local', 'cluster.local')).toBe(true);
  });

  it('splits presentation names into wire labels, undoing escapes', () => {
    expect(nameLabels('a\\.b.c').map((l) => l.toString('latin1'))).toEqual(['a.b', 'c']);
    expect(nameLabels('\\000\\255.x').map((l) => [...l])).toEqual([[0, 255], [120]]);
    expect(nameLabels('')).toEqual([]);
    expect(() => nameLabels('a..b')).toThrow(DnsEncodeError);
    expect(() => nameLabels('a\\')).toThrow(/dangling/);
    expect(() => nameLabels('\\256')).toThrow(/DDD/);
  });

  it('maps addresses to reverse names and back (full nibbles for IPv6)', () => {
    expect(ipToReverseName('10.96.0.1')).toBe('1.0.96.10.in-addr.arpa');
    expect(reverseNameToIp('1.0.96.10.in-addr.arpa')).toBe('10.96.0.1');
    const v6 = ipToReverseName('fd00::1');
    expect(v6).toBe(`1.${'0.'.repeat(29)}d.f.ip6.arpa`);
    expect(reverseNameToIp(v6)).toBe('fd00::1');
    // Partial or malformed reverse names are not addresses.
    expect(reverseNameToIp('96.10.in-addr.arpa')).toBeUndefined();
    expect(reverseNameToIp('1.0.96.300.in-addr.arpa')).toBeUndefined();
    expect(reverseNameToIp('01.0.96.10.in-addr.arpa')).toBeUndefined();
    expect(reverseNameToIp('x.0.0.ip6.arpa')).toBeUndefined();
  });

  it('maps addresses to dashed labels and back', () => {
    expect(ipToDashedLabel('10.244.1.5')).toBe('10-244-1-5');
    expect(ipToDashedLabel('fd00::5')).toBe('fd00--5');
    expect(dashedLabelToIp('10-244-1-5')).toBe('10.244.1.5');
    expect(dashedLabelToIp('fd00--5')).toBe('fd00::5');
    expect(dashedLabelToIp('10-244-1-500')).toBeUndefined();
    expect(dashedLabelToIp('web-0')).toBeUndefined();
    expect(dashedLabelToIp('abc')).toBeUndefined();
  });

  it('formats IPv6 per RFC 5952 and parses embedded IPv4', () => {
    expect(formatIPv6(ipv6Bytes('2001:0db8:0000:0000:0001:0000:0000:0001'))).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(formatIPv6(ipv6Bytes('::'))).toBe('::');
    expect(formatIPv6(ipv6Bytes('1:0:1:0:1:0:1:0'))).toBe('1:0:1:0:1:0:1:0');
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(canonicalIp('FD00:0::1')).toBe('fd00::1');
    expect(canonicalIp('nope')).toBeUndefined();
  });
});
