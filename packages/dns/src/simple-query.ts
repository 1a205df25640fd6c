import { CLASSIC_UDP_SIZE, MAX_MESSAGE_SIZE, MAX_UDP_SIZE, RRType } from './constants.js';
import { MAX_NAME_WIRE } from './names.js';

/** What the answer cache needs to know about a plain query. */
export interface SimpleQuery {
  /**
   * Everything the reply's bytes depend on besides the zone and the ID: the question (name
   * lower-cased), the RD and CD bits, the transport's size limit, whether EDNS was used and
   * its DO bit.
   */
  key: string;
  /** Offset just past the question: bytes 12 to here are echoed in the reply as sent. */
  questionEnd: number;
}

/**
 * Recognises the common query (opcode QUERY, one question with an uncompressed ASCII name, no
 * answer or authority records, at most an EDNS version 0 OPT with well-formed options) without
 * building a Message, and returns its cache key. Anything else, malformed or just unusual,
 * returns undefined and takes the full decoder. Never throws: every read is bounds-checked.
 */
export function parseSimpleQuery(buf: Buffer, proto: 'udp' | 'tcp'): SimpleQuery | undefined {
  const len = buf.length;
  if (len < 17) return undefined;
  const b2 = buf[2] as number;
  const b3 = buf[3] as number;
  // QR clear, opcode 0; exactly one question, no answers or authorities, 0 or 1 additional.
  if ((b2 & 0xf8) !== 0) return undefined;
  if (buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0) return undefined;
  if (buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return undefined;
  const arcount = buf[11] as number;
  if (arcount > 1) return undefined;

  let pos = 12;
  for (;;) {
    if (pos >= len) return undefined;
    const labelLen = buf[pos] as number;
    if (labelLen === 0) break;
    // Pointers and reserved label types take the full decoder (a first name has nothing to
    // point back to anyway); so do bytes above ASCII, which lower-casing must not touch.
    if (labelLen > 63) return undefined;
    const end = pos + 1 + labelLen;
    if (end > len || end - 12 >= MAX_NAME_WIRE) return undefined;
    for (let i = pos + 1; i < end; i++) if ((buf[i] as number) >= 0x80) return undefined;
    pos = end;
  }
  const nameEnd = pos + 1;
  const questionEnd = nameEnd + 4;
  if (questionEnd > len) return undefined;
  const qtype = (buf[nameEnd] as number) * 256 + (buf[nameEnd + 1] as number);
  const qclass = (buf[nameEnd + 2] as number) * 256 + (buf[nameEnd + 3] as number);

  let limit = proto === 'tcp' ? MAX_MESSAGE_SIZE : CLASSIC_UDP_SIZE;
  let edns = 0;
  if (arcount === 1) {
    // The OPT: root owner, type 41, class = payload size, TTL = ext rcode/version/flags.
    const o = questionEnd;
    if (o + 11 > len || buf[o] !== 0) return undefined;
    if (buf.readUInt16BE(o + 1) !== RRType.OPT) return undefined;
    const udpSize = buf.readUInt16BE(o + 3);
    if (buf[o + 6] !== 0) return undefined; // EDNS version above 0 gets BADVERS, not cached
    const dnssecOk = ((buf[o + 7] as number) & 0x80) !== 0;
    const rdEnd = o + 11 + buf.readUInt16BE(o + 9);
    if (rdEnd > len) return undefined;
    for (let i = o + 11; i < rdEnd;) {
      if (i + 4 > rdEnd) return undefined;
      i += 4 + buf.readUInt16BE(i + 2);
      if (i > rdEnd) return undefined;
    }
    if (proto === 'udp') limit = Math.min(Math.max(udpSize, CLASSIC_UDP_SIZE), MAX_UDP_SIZE);
    edns = dnssecOk ? 2 : 1;
  }
  const bits = (b2 & 0x01) | (b3 & 0x10) | (edns << 5);
  const name = buf.toString('latin1', 12, nameEnd).toLowerCase();
  return { key: name + String.fromCharCode(qtype, qclass, bits, limit), questionEnd };
}
