import { describe, expect, it } from 'vitest';
import { RouteCompileError } from '../src/errors.js';
import { hostMatches, intersectHostnames, normalizeHost, parseHostPattern } from '../src/host.js';

describe('host patterns', () => {
  it('Ingress wildcard: exactly one label', () => {
    const p = parseHostPattern('*.foo.com', false);
    expect(hostMatches(p, 'bar.foo.com')).toBe(true);
    expect(hostMatches(p, 'baz.bar.foo.com')).toBe(false);
    expect(hostMatches(p, 'foo.com')).toBe(false);
  });
  it('Gateway wildcard: one or more labels', () => {
    const p = parseHostPattern('*.foo.com', true);
    expect(hostMatches(p, 'bar.foo.com')).toBe(true);
    expect(hostMatches(p, 'baz.bar.foo.com')).toBe(true);
    expect(hostMatches(p, 'foo.com')).toBe(false);
    expect(hostMatches(p, 'xfoo.com')).toBe(false);
  });
  it('rejects invalid names with a typed error', () => {
    for (const bad of ['a..b', 'foo.*.com', '-a.com', 'a_b.com', '*']) {
      if (bad === '*') expect(parseHostPattern(bad, true)).toEqual({ kind: 'any' });
      else expect(() => parseHostPattern(bad, true)).toThrow(RouteCompileError);
    }
  });
  it('normalises the Host header', () => {
    expect(normalizeHost('Foo.Example.COM:8443')).toBe('foo.example.com');
    expect(normalizeHost('foo.com.')).toBe('foo.com');
    expect(normalizeHost('[::1]:80')).toBe('[::1]');
    expect(normalizeHost(undefined)).toBe('');
  });
});

describe('listener/route hostname intersection (Gateway API)', () => {
  it.each<[string | undefined, string[] | undefined, string[]]>([
    [undefined, undefined, ['*']],
    [undefined, ['a.com'], ['a.com']],
    ['test.example.com', undefined, ['test.example.com']],
    ['test.example.com', ['test.example.com'], ['test.example.com']],
    ['test.example.com', ['*.example.com'], ['test.example.com']],
    ['test.example.com', ['other.example.com'], []],
    [
      '*.example.com',
      ['*.example.com', 'test.example.com', 'foo.test.example.com'],
      ['*.example.com', 'test.example.com', 'foo.test.example.com'],
    ],
    ['*.example.com', ['example.com', 'test.example.net'], []],
    ['*.example.com', ['*.foo.example.com'], ['*.foo.example.com']],
    ['*.foo.example.com', ['*.example.com'], ['*.foo.example.com']],
  ])('listener %s, route %j -> %j', (listener, route, expected) => {
    expect(intersectHostnames(listener, route)).toEqual(expected);
  });
});
