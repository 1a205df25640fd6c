import { describe, expect, it } from 'vitest';
import { DnsCache, type CachedAnswer } from '../src/cache.js';
import { RCode, RRType } from '../src/constants.js';
import type { ResourceRecord } from '../src/message.js';

const a = (ttl: number, address = '192.0.2.1'): ResourceRecord => ({
  name: 'example.com',
  type: RRType.A,
  class: 1,
  ttl,
  address,
});
const soa = (ttl: number, minimum: number): ResourceRecord => ({
  name: 'example.com',
  type: RRType.SOA,
  class: 1,
  ttl,
  soa: {
    mname: 'ns.example.com',
    rname: 'h.example.com',
    serial: 1,
    refresh: 1,
    retry: 1,
    expire: 1,
    minimum,
  },
});
const ok = (...answers: ResourceRecord[]): CachedAnswer => ({
  rcode: RCode.NOERROR,
  answers,
  authorities: [],
  additionals: [],
});

function clock(): { now: () => number; advance(s: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (s) => (t += s * 1000) };
}

describe('DnsCache', () => {
  it('keeps a positive answer for its smallest TTL and counts the TTLs down', () => {
    const c = clock();
    const cache = new DnsCache({ now: c.now });
    cache.set('k', ok(a(60), a(20, '192.0.2.2')));
    c.advance(5.3);
    const hit = cache.get('k');
    expect(hit?.answer.answers.map((r) => r.ttl)).toEqual([15, 15]);
    // The same TTLs for 0.7 s more; the entry lasts 14.7 s more.
    expect(hit?.stableForMs).toBeCloseTo(700);
    expect(hit?.expiresInMs).toBeCloseTo(14_700);
    c.advance(14.7);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('caps lifetimes at maxTtl', () => {
    const c = clock();
    const cache = new DnsCache({ now: c.now, maxTtl: 30 });
    cache.set('k', ok(a(3600)));
    expect(cache.get('k')?.answer.answers[0]?.ttl).toBe(30);
    c.advance(30);
    expect(cache.get('k')).toBeUndefined();
  });

  it('keeps NXDOMAIN and NODATA for min(SOA TTL, SOA minimum), and skips negatives without an SOA', () => {
    const c = clock();
    const cache = new DnsCache({ now: c.now });
    cache.set('nx', {
      rcode: RCode.NXDOMAIN,
      answers: [],
      authorities: [soa(300, 10)],
      additionals: [],
    });
    cache.set('nodata', {
      rcode: RCode.NOERROR,
      answers: [],
      authorities: [soa(8, 60)],
      additionals: [],
    });
    cache.set('bare', { rcode: RCode.NXDOMAIN, answers: [], authorities: [], additionals: [] });
    expect(cache.get('nx')?.negative).toBe(true);
    expect(cache.get('nodata')?.negative).toBe(true);
    expect(cache.get('bare')).toBeUndefined();
    c.advance(9);
    expect(cache.get('nodata')).toBeUndefined();
    expect(cache.get('nx')?.answer.rcode).toBe(RCode.NXDOMAIN);
    c.advance(1);
    expect(cache.get('nx')).toBeUndefined();
  });

  it('does not cache SERVFAIL, REFUSED or zero TTLs', () => {
    const cache = new DnsCache();
    cache.set('s', { rcode: RCode.SERVFAIL, answers: [], authorities: [], additionals: [] });
    cache.set('r', { rcode: RCode.REFUSED, answers: [], authorities: [], additionals: [] });
    cache.set('z', ok(a(0)));
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new DnsCache({ maxEntries: 2 });
    cache.set('one', ok(a(60)));
    cache.set('two', ok(a(60)));
    cache.get('one');
    cache.set('three', ok(a(60)));
    expect(cache.size).toBe(2);
    expect(cache.get('two')).toBeUndefined();
    expect(cache.get('one')).toBeDefined();
    expect(cache.get('three')).toBeDefined();
  });

  it('keys case-insensitively and by type, class and DO bit', () => {
    expect(DnsCache.key('Example.COM', 1, 1, false)).toBe(DnsCache.key('example.com', 1, 1, false));
    expect(DnsCache.key('example.com', 1, 1, false)).not.toBe(
      DnsCache.key('example.com', 28, 1, false),
    );
    expect(DnsCache.key('example.com', 1, 1, false)).not.toBe(
      DnsCache.key('example.com', 1, 1, true),
    );
  });
});
