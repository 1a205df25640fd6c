import { describe, expect, it } from 'vitest';
import { parseSimpleRequest } from '../src/request-head.js';

const parse = (s: string, max = 16 * 1024): ReturnType<typeof parseSimpleRequest> =>
  parseSimpleRequest(Buffer.from(s, 'latin1'), max);

describe('parseSimpleRequest', () => {
  it('reads a plain GET: lower-case names, trimmed values, where the head ends', () => {
    const head =
      'GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Thing:  v \t\r\nX-Empty:\r\nX-Inner: a \t b\r\n\r\n';
    const r = parse(`${head}GET /next HTTP/1.1\r\n`);
    expect(r).toEqual({
      method: 'GET',
      url: '/a/b?x=1',
      headers: { host: 'example.com', 'x-thing': 'v', 'x-empty': '', 'x-inner': 'a \t b' },
      close: false,
      end: head.length,
    });
  });

  it('Connection: close is noted; keep-alive is accepted', () => {
    expect(parse('HEAD / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n')?.close).toBe(true);
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n')?.close).toBe(false);
  });

  // Each of these goes to Node's parser instead, which answers the malformed ones with 400/431.
  it.each([
    ['an incomplete head', 'GET / HTTP/1.1\r\nHost: a\r\n'],
    ['a head above the limit', `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(200)}\r\n\r\n`],
    ['POST', 'POST / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a lower-case method', 'get / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\n\r\n'],
    ['an absolute-form target', 'GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['an asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a byte above 0x7e in the target', 'GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['no Host', 'GET / HTTP/1.1\r\nX: a\r\n\r\n'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['any repeated header', 'GET / HTTP/1.1\r\nHost: a\r\nCookie: a\r\ncookie: b\r\n\r\n'],
    ['Content-Length', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'],
    [
      'Transfer-Encoding',
      'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['Upgrade', 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['Expect', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n'],
    ['another Connection option', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x\r\n\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n'],
    ['a bare LF', 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n'],
    ['a control character in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n'],
    ['obs-text in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n'],
    ['an empty header name', 'GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n'],
  ])('not simple: %s', (_name, head) => {
    expect(parse(head, 128)).toBeUndefined();
  });
});
