import { describe, expect, it } from 'vitest';
import { RequestPathError } from '../src/errors.js';
import { normalizeRequestTarget } from '../src/path-normalize.js';

describe('request path normalisation', () => {
  it.each([
    ['/public/../admin', '/admin'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/%2E%2E/admin', '/admin'],
    ['/public/.%2e/admin', '/admin'],
    ['//admin', '/admin'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/../../etc', '/etc'],
    ['/', '/'],
    ['/foo/', '/foo/'],
    ['/%41bc', '/Abc'],
    ['/a%20b', '/a%20b'],
    ['/a%3fb', '/a%3Fb'],
    ['/a;v=1/b', '/a;v=1/b'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeRequestTarget(input).path).toBe(expected);
  });

  it('keeps the query string untouched and takes the host of an absolute-form target', () => {
    expect(normalizeRequestTarget('/a/../b?x=/../y&z=%2F')).toEqual({
      path: '/b',
      query: '?x=/../y&z=%2F',
    });
    expect(normalizeRequestTarget('http://Foo.com/a?b')).toEqual({
      path: '/a',
      query: '?b',
      authority: 'Foo.com',
    });
  });

  it.each([
    '/public/..;/admin',
    '/a/.;x/b',
    '/a/%2e%2e;/b',
    '/a%2fb',
    '/a%2Fb',
    '/a%5cb',
    '/a\\b',
    '/a%00',
    '/a%zz',
    '/a%4',
    'relative',
    '*',
  ])('rejects %s', (input) => {
    expect(() => normalizeRequestTarget(input)).toThrow(RequestPathError);
  });
});
