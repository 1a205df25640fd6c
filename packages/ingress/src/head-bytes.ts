import { HOP_BY_HOP } from './headers.js';

/**
 * Byte classes for reading HTTP heads straight from the Buffer they arrived in: one table
 * lookup per byte instead of a decoded string, a split and a regular expression per line.
 */
export const TCHAR = 1;
/** A visible ASCII character (0x21-0x7e). */
export const VCHAR = 2;
/** obs-text (0x80-0xff): allowed in response field values, never in a request we serve fast. */
export const OBS_TEXT = 4;
/** Optional whitespace: SP or HTAB. */
export const OWS = 8;

export const BYTE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) t[c] = VCHAR;
  for (let c = 0x80; c <= 0xff; c++) t[c] = OBS_TEXT;
  for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    t[c.charCodeAt(0)] = VCHAR | TCHAR;
  t[0x20] = OWS;
  t[0x09] = OWS;
  return t;
})();

/**
 * Whether buf[at..] spells `lower` in any letter case. `lower` holds only lower-case letters,
 * digits and '-'; for those, `byte | 0x20` equals the character for exactly the two cases of
 * a letter and for the character itself (no token byte maps onto a letter, digit or '-').
 */
export function bytesAre(buf: Uint8Array, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++)
    if (((buf[at + i] as number) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** Whether buf[at..] is exactly the ASCII string `s`. */
export function bytesEqual(buf: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The hop-by-hop names by length, so classifying a field name mostly costs one map probe. */
const HOP_BY_LENGTH = new Map<number, string[]>();
for (const name of HOP_BY_HOP) {
  const list = HOP_BY_LENGTH.get(name.length);
  if (list) list.push(name);
  else HOP_BY_LENGTH.set(name.length, [name]);
}

/** The (lower-case) hop-by-hop name buf[at..at+n] is in any case, if it is one. */
export function hopByHopName(buf: Uint8Array, at: number, n: number): string | undefined {
  const candidates = HOP_BY_LENGTH.get(n);
  if (candidates) for (const name of candidates) if (bytesAre(buf, at, name)) return name;
  return undefined;
}
