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
/**
 * One field line in one match: a token name, the colon right after it, optional whitespace, a
 * value of visible ASCII with inner spaces/tabs (captured trimmed), optional whitespace. CR, LF,
 * other controls and bytes above 0x7e fail it.
 */
const FIELD_LINE =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*((?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?)[\t ]*$/;
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
    const field = FIELD_LINE.exec(line);
    if (!field) return undefined;
    const value = field[2] as string;
    const lower = (field[1] as string).toLowerCase();
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
