import { describe, expect, it } from 'vitest';
import { modifyPath, replacePrefix } from '../src/path-match.js';
import { redirectLocation } from '../src/redirect.js';

describe('ReplacePrefixMatch (Gateway API table)', () => {
  it.each([
    ['/foo', '/foo/bar', '/xyz', '/xyz/bar'],
    ['/foo', '/foo/bar', '/xyz/', '/xyz/bar'],
    ['/foo/', '/foo/bar', '/xyz', '/xyz/bar'],
    ['/foo/', '/foo/bar', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz'],
    ['/foo', '/foo/', '/xyz', '/xyz/'],
    ['/foo', '/foo/bar', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo/', '', '/'],
    ['/foo', '/foo/bar', '/', '/bar'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo/', '/', '/'],
    ['/', '/a/b', '/xyz', '/xyz/a/b'],
    ['/', '/', '/xyz', '/xyz'],
  ])('prefix %s, request %s, replace %j -> %s', (prefix, path, replacement, expected) => {
    expect(replacePrefix(path, prefix, replacement)).toBe(expected);
  });
});

describe('rewrite-target (regex replace)', () => {
  it('substitutes capture groups into the whole new path', () => {
    const regex = /^(?:\/something(\/|$)(.*))/i;
    const mod = { type: 'RegexReplace', regex, replacement: '/$2' } as const;
    const match = { type: 'RegularExpression', value: '', regex } as const;
    expect(modifyPath(mod, '/something/new', match)).toBe('/new');
    expect(modifyPath(mod, '/something', match)).toBe('/');
    expect(modifyPath(mod, '/other', match)).toBe('/other');
  });
});

describe('redirect Location', () => {
  const req = { scheme: 'http', host: 'a.test', port: 8080, path: '/p/q', query: '?x=1' } as const;
  const prefix = { type: 'Prefix', value: '/p' } as const;
  it.each<[Parameters<typeof redirectLocation>[0], string]>([
    [{ statusCode: 302 }, 'http://a.test:8080/p/q?x=1'],
    [{ statusCode: 302, scheme: 'https' }, 'https://a.test/p/q?x=1'],
    [{ statusCode: 302, scheme: 'https', port: 8443 }, 'https://a.test:8443/p/q?x=1'],
    [{ statusCode: 302, scheme: 'http' }, 'http://a.test/p/q?x=1'],
    [{ statusCode: 301, hostname: 'b.test', port: 80 }, 'http://b.test/p/q?x=1'],
    [
      { statusCode: 302, path: { type: 'ReplaceFullPath', value: '/full' } },
      'http://a.test:8080/full?x=1',
    ],
    [
      { statusCode: 302, path: { type: 'ReplacePrefixMatch', value: '/new' } },
      'http://a.test:8080/new/q?x=1',
    ],
  ])('%j -> %s', (redirect, expected) => {
    expect(redirectLocation(redirect, req, prefix)).toBe(expected);
  });
});
