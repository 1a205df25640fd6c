import { BYTE_CLASS, bytesAre, bytesEqual, OWS, TCHAR, VCHAR } from './head-bytes.js';

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

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const METHODS = ['GET', 'HEAD', 'DELETE', 'OPTIONS'];
const HTTP_11_CRLF = ' HTTP/1.1\r\n';
/** Headers that make a request something other than a plain bodyless exchange. */
const NOT_SIMPLE = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect']);
/**
 * Common request header names by length, so most names are recognised in place and come out
 * as the same constant strings (cheap object keys) instead of a decoded, lower-cased copy.
 */
const KNOWN_NAMES = new Map<number, string[]>();
for (const name of [
  ...NOT_SIMPLE,
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'cookie',
  'referer',
  'origin',
  'cache-control',
  'pragma',
  'authorization',
  'if-none-match',
  'if-modified-since',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'x-request-id',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'upgrade-insecure-requests',
  'priority',
]) {
  const list = KNOWN_NAMES.get(name.length);
  if (list) list.push(name);
  else KNOWN_NAMES.set(name.length, [name]);
}

/** The lower-case name of the field name in text[at..at+n] (`buf` holds the same bytes). */
function fieldName(buf: Buffer, text: string, at: number, n: number): string {
  const known = KNOWN_NAMES.get(n);
  if (known) for (const name of known) if (bytesAre(buf, at, name)) return name;
  return text.slice(at, at + n).toLowerCase();
}

/** The method at the start of `buf` followed by a space, if it is one the fast path serves. */
function method(buf: Buffer): string | undefined {
  for (const m of METHODS) if (bytesEqual(buf, 0, m) && buf[m.length] === 0x20) return m;
  return undefined;
}

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
  const end = buf.indexOf(CRLF_CRLF);
  if (end < 0 || end + 4 > maxHeadBytes) return undefined;
  const m = method(buf);
  if (m === undefined) return undefined;
  // The target: origin-form, visible ASCII.
  const target = m.length + 1;
  if (buf[target] !== 0x2f) return undefined;
  let i = target + 1;
  while ((BYTE_CLASS[buf[i] as number] as number) & VCHAR) i++;
  const targetEnd = i;
  if (!bytesEqual(buf, i, HTTP_11_CRLF)) return undefined;
  i += HTTP_11_CRLF.length;
  // One decoded copy of the head; names and values are slices of it.
  const text = buf.toString('latin1', 0, end + 2);
  const headers: Record<string, string> = {};
  let close = false;
  // Every line ends in CRLF up to end + 2, so each scan below stops at a CR at the latest.
  while (i < end + 2) {
    const line = i;
    while ((BYTE_CLASS[buf[i] as number] as number) & TCHAR) i++;
    if (i === line || buf[i] !== 0x3a) return undefined;
    const name = fieldName(buf, text, line, i - line);
    i++;
    while ((BYTE_CLASS[buf[i] as number] as number) & OWS) i++;
    const from = i;
    let to = i;
    for (; ; i++) {
      const c = BYTE_CLASS[buf[i] as number] as number;
      if (c & VCHAR) to = i + 1;
      else if (!(c & OWS)) break;
    }
    if (buf[i] !== 13 || buf[i + 1] !== 10) return undefined;
    i += 2;
    if (NOT_SIMPLE.has(name) || headers[name] !== undefined) return undefined;
    if (name === 'connection') {
      if (to - from === 5 && bytesAre(buf, from, 'close')) close = true;
      else if (to - from !== 10 || !bytesAre(buf, from, 'keep-alive')) return undefined;
    }
    headers[name] = text.slice(from, to);
  }
  if (headers.host === undefined) return undefined;
  return { method: m, url: text.slice(target, targetEnd), headers, close, end: end + 4 };
}
