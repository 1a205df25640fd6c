import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { InvalidHeaderError } from './errors.js';

/** RFC 9110 token: what a header name may be. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node itself refuses in outgoing values: controls other than tab, and DEL. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** What Node refuses in a request path (ERR_UNESCAPED_CHARACTERS). */
const INVALID_PATH = /[^\x21-\xff]/;

/** Strips optional whitespace (SP, HTAB) around a field value. */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

/** `name: value\r\n` for each header (arrays give one line per value); throws InvalidHeaderError. */
export function headerLines(headers: OutgoingHttpHeaders): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (!TOKEN.test(name)) throw new InvalidHeaderError(name);
    if (Array.isArray(v)) {
      for (const one of v) {
        if (INVALID_VALUE.test(one)) throw new InvalidHeaderError(name);
        out += `${name}: ${one}\r\n`;
      }
    } else {
      const s = typeof v === 'string' ? v : String(v);
      if (INVALID_VALUE.test(s)) throw new InvalidHeaderError(name);
      out += `${name}: ${s}\r\n`;
    }
  }
  return out;
}

/** One `name: value\r\n` line for a name known to be a token; throws InvalidHeaderError. */
export function fieldLine(name: string, value: string): string {
  if (INVALID_VALUE.test(value)) throw new InvalidHeaderError(name);
  return `${name}: ${value}\r\n`;
}

/** The request line; throws InvalidHeaderError for a path Node would refuse (e.g. a space). */
export function requestLine(method: string, path: string): string {
  if (INVALID_PATH.test(path)) throw new InvalidHeaderError(`:path ${path}`);
  return `${method} ${path} HTTP/1.1\r\n`;
}

const statusLines = new Map<number, string>();

/** `HTTP/1.1 200 OK\r\n`, with Node's reason phrases. */
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

let dateSecond = -1;
let dateLine = '';

/** `Date: ...\r\n` for now, formatted once per second. */
export function dateHeaderLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return dateLine;
}
