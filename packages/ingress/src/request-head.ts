import { TOKEN, trimOws } from './http-text.js';

/** A request the fast path may serve: a complete, bodyless HTTP/1.1 head with nothing unusual. */
export interface SimpleRequest {
  method: string;
  /** The request target as received (origin-form). */
  url: string;
  /** Lower-case names, each present once (as Node's `req.headers` for such a request). */
  headers: Record<string, string>;
  /** The client sent `Connection: close`. */
  close: boolean;
  /** Offset just after the head's blank line. */
  end: number;
}

const REQUEST_LINE = /^(GET|HEAD|DELETE|OPTIONS) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Headers that make a request something other than a plain bodyless exchange. */
const NOT_SIMPLE = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect']);

/**
 * Reads one request head from `buf` if it is *simple*: complete within `maxHeadBytes`; GET, HEAD,
 * DELETE or OPTIONS; an origin-form target of visible ASCII; exactly `HTTP/1.1`; CRLF line
 * ends only; every name a token (so no space before the colon, no obs-fold) and every value
 * visible ASCII or tabs; exactly one Host; no header repeated; no Content-Length,
 * Transfer-Encoding, Upgrade or Expect; Connection absent, `keep-alive` or `close`.
 *
 * Anything else returns undefined and the caller hands the connection to Node's HTTP parser,
 * which applies the full strict rules (400 for smuggling attempts, 431, timeouts for heads that
 * trickle in). So this parser never has to decide whether something odd is an attack: it only
 * recognises the plainly harmless.
 */
export function parseSimpleRequest(buf: Buffer, maxHeadBytes: number): SimpleRequest | undefined {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0 || end + 4 > maxHeadBytes) return undefined;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const start = REQUEST_LINE.exec(lines[0] as string);
  if (!start) return undefined;
  const headers: Record<string, string> = {};
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    const value = trimOws(line.slice(colon + 1));
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return undefined;
    const lower = name.toLowerCase();
    if (NOT_SIMPLE.has(lower) || headers[lower] !== undefined) return undefined;
    if (lower === 'connection') {
      const v = value.toLowerCase();
      if (v === 'close') close = true;
      else if (v !== 'keep-alive') return undefined;
    }
    headers[lower] = value;
  }
  if (headers.host === undefined) return undefined;
  return { method: start[1] as string, url: start[2] as string, headers, close, end: end + 4 };
}
