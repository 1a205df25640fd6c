import { describe, expect, it } from 'vitest';
import { UpstreamProtocolError } from '../src/errors.js';
import {
  CONTENT_LENGTH,
  DATE,
  HOP,
  ResponseParser,
  type ResponseHead,
} from '../src/response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ended: boolean[];
}

/** Feeds `parts` one after another (each as its own read) and records what the parser reported. */
function parse(parts: string[], opts: { head?: boolean; close?: boolean } = {}): Parsed {
  const p = new ResponseParser();
  const out: Parsed = { heads: [], body: '', ended: [] };
  p.expect(
    {
      onHead: (h) => out.heads.push(h),
      onBody: (b, start, end) => (out.body += b.toString('latin1', start, end)),
      onEnd: (clean) => out.ended.push(clean),
    },
    opts.head === true,
  );
  for (const part of parts) p.execute(Buffer.from(part, 'latin1'));
  if (opts.close) p.finish();
  return out;
}

/** Every way of splitting `s` into two reads. */
function splits(s: string): string[][] {
  const all: string[][] = [];
  for (let i = 1; i < s.length; i++) all.push([s.slice(0, i), s.slice(i)]);
  return all;
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n' +
  '5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer-X: t\r\n\r\n';

describe('ResponseParser framing', () => {
  it('Content-Length body, whatever the read boundaries', () => {
    const msg =
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie:  b=2 ; x \t\r\nX-E:\r\n\r\nhello';
    for (const parts of [[msg], ...splits(msg)]) {
      const r = parse(parts);
      expect(r.heads).toHaveLength(1);
      expect(r.heads[0]).toMatchObject({ status: 200, framing: 'length', keepAlive: true });
      expect(r.heads[0]?.rawHeaders).toEqual([
        'Content-Length',
        '5',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2 ; x',
        'X-E',
        '',
      ]);
      expect([r.body, r.ended]).toEqual(['hello', [true]]);
    }
  });

  it('chunked body with extensions and trailers, whatever the read boundaries', () => {
    for (const parts of [[CHUNKED], ...splits(CHUNKED)]) {
      const r = parse(parts);
      expect(r.heads[0]?.framing).toBe('chunked');
      expect([r.body, r.ended]).toEqual(['hello world', [true]]);
    }
  });

  it('a body delimited by the connection closing; keep-alive is off', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nX: y\r\n\r\nab', 'cd'], { close: true });
    expect(r.heads[0]).toMatchObject({ framing: 'close', keepAlive: false });
    expect([r.body, r.ended]).toEqual(['abcd', [true]]);
  });

  it('no body for HEAD, 204 and 304 whatever the headers say; Content-Length 0', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'], { head: true }).ended).toEqual([
      true,
    ]);
    expect(parse(['HTTP/1.1 204 No Content\r\n\r\n']).heads[0]?.framing).toBe('none');
    expect(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n']).ended).toEqual([true]);
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']).ended).toEqual([true]);
  });

  it('skips 1xx heads (103 Early Hints) and reports the final one', () => {
    const r = parse([
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ]);
    expect(r.heads.map((h) => h.status)).toEqual([200]);
    expect(r.body).toBe('ok');
  });

  it('Connection: close and HTTP/1.0 make the connection single-use', () => {
    expect(
      parse(['HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n']).heads[0]
        ?.keepAlive,
    ).toBe(false);
    expect(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).heads[0]?.keepAlive).toBe(false);
  });

  it('flags each field: hop-by-hop (or named by Connection, except Content-Length), Date', () => {
    const r = parse([
      'HTTP/1.1 200 OK\r\nConnection: x-a, Content-Length\r\nX-A: 1\r\nX-B: 2\r\n' +
        'Keep-Alive: timeout=5\r\nTE: trailers\r\ndAtE: today\r\nContent-Length: 0\r\n\r\n',
    ]);
    const h = r.heads[0] as ResponseHead;
    const flags = Array.from({ length: h.count }, (_, i) => [h.name(i), h.flags(i)]);
    expect(flags).toEqual([
      ['Connection', HOP],
      ['X-A', HOP],
      ['X-B', 0],
      ['Keep-Alive', HOP],
      ['TE', HOP],
      ['dAtE', DATE],
      ['Content-Length', CONTENT_LENGTH],
    ]);
    // Each field's line, for relaying it as it came.
    expect(h.text.slice(h.lineStart(2), h.lineEnd(2))).toBe('X-B: 2');
  });

  it('reads only data[0..end) of a reused read buffer, whatever stale bytes follow', () => {
    const p = new ResponseParser();
    const out: string[] = [];
    const ended: boolean[] = [];
    p.expect(
      {
        onHead: (h) => out.push(String(h.status)),
        onBody: (b, start, end) => out.push(b.toString('latin1', start, end)),
        onEnd: (clean) => ended.push(clean),
      },
      false,
    );
    // The buffer's tail holds a blank line and a body from an earlier read: not this one's.
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 3';
    const buf = Buffer.from(`${first}\r\n\r\nold`, 'latin1');
    p.execute(buf, first.length);
    expect(out).toEqual([]);
    buf.write('\r\n\r\nab', 0, 'latin1');
    p.execute(buf, 6);
    buf.write('c', 0, 'latin1');
    p.execute(buf, 1);
    expect([out, ended]).toEqual([['200', 'ab', 'c'], [true]]);
  });

  it('bytes after the end of the response: reported as not clean', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA']).ended).toEqual([false]);
  });
});

describe('ResponseParser refuses ambiguity (UpstreamProtocolError)', () => {
  it.each([
    [
      'Content-Length and Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    [
      'two Transfer-Encodings',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF in the head', 'HTTP/1.1 200 OK\r\nX: a\nContent-Length: 0\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 0\r\n\r\n'],
    ['a malformed status line', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a lower-case protocol name', 'http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a status line without its status', 'HTTP/1.1 \r\nContent-Length: 0\r\n\r\n'],
    ['a control character in the reason', 'HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n'],
    ['an empty field name', 'HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n'],
    ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'],
    ['a 16-digit Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n'],
    ['HTTP/2 in the status line', 'HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['101 without an upgrade', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['a malformed chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    [
      'a chunk size with a sign',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n',
    ],
    [
      'chunk data longer than its size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
    ],
    [
      'a bare LF after a chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n',
    ],
  ])('%s', (_name, msg) => {
    expect(() => parse([msg])).toThrow(UpstreamProtocolError);
  });

  it('a head above 16 KiB', () => {
    const big = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\n`;
    expect(() => parse([big])).toThrow(/too large/);
    expect(() => parse([big.slice(0, 9000), big.slice(9000)])).toThrow(/too large/);
  });

  it('the upstream closing mid-body (length or chunked) is an error, not a short response', () => {
    expect(() =>
      parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel'], { close: true }),
    ).toThrow(/closed mid-response/);
    expect(() => parse([CHUNKED.slice(0, 70)], { close: true })).toThrow(/closed mid-response/);
  });

  it('data on a connection with no request outstanding', () => {
    const p = new ResponseParser();
    expect(() => p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/unexpected data/);
  });
});
