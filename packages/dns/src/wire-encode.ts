import { NameCompressor } from './compression.js';
import { MAX_MESSAGE_SIZE, RRType } from './constants.js';
import { DnsEncodeError } from './errors.js';
import { ipv4Bytes, ipv6Bytes } from './ip.js';
import type { Edns, Message, ResourceRecord } from './message.js';

// One scratch buffer for every encode: encoding is synchronous, so it is never shared mid-use.
const scratch = Buffer.alloc(3 * (MAX_MESSAGE_SIZE + 1));

/**
 * Encodes a message with name compression, fitting it into `maxSize` bytes. Records that do not
 * fit are left out whole: a missing answer or authority record sets TC (the client retries over
 * TCP); additional records are dropped silently, as RFC 2181 9 allows. The OPT record, when the
 * message has `edns`, is always kept.
 */
export function encodeMessage(msg: Message, maxSize: number = MAX_MESSAGE_SIZE): Buffer {
  const limit = Math.min(maxSize, MAX_MESSAGE_SIZE);
  const names = new NameCompressor();
  const buf = scratch;
  let off = 12;
  for (const q of msg.questions) {
    if (off > limit) break; // reported below, before the scratch buffer could overflow
    off = names.write(buf, off, q.name, true);
    off = buf.writeUInt16BE(q.type, off);
    off = buf.writeUInt16BE(q.class, off);
  }
  const optSize = msg.edns ? 11 + msg.edns.options.reduce((n, o) => n + 4 + o.data.length, 0) : 0;
  const recordLimit = limit - optSize;
  if (off > recordLimit) throw new DnsEncodeError(`questions do not fit in ${limit} bytes`, 'size');
  let truncated = false;
  let afterAnswers = off;
  const counts = [0, 0, 0];
  const sections = [msg.answers, msg.authorities, msg.additionals];
  for (let s = 0; s < 3 && !truncated; s++) {
    for (const rr of sections[s] as ResourceRecord[]) {
      const start = off;
      off = writeRecord(buf, off, rr, names);
      if (off > recordLimit) {
        names.rollback(start);
        off = start;
        truncated = s < 2;
        break;
      }
      counts[s]!++;
    }
    if (s === 0) afterAnswers = off;
  }
  if (truncated) {
    // A TC answer keeps the whole answers that fitted and nothing below them.
    names.rollback(afterAnswers);
    off = afterAnswers;
    counts[1] = 0;
    counts[2] = 0;
  }
  let arcount = counts[2] as number;
  if (msg.edns) {
    off = writeOpt(buf, off, msg.edns, msg.rcode);
    arcount++;
  }
  writeHeader(buf, msg, truncated || msg.flags.tc, [
    msg.questions.length,
    counts[0]!,
    counts[1]!,
    arcount,
  ]);
  const out = Buffer.allocUnsafe(off);
  buf.copy(out, 0, 0, off);
  return out;
}

function writeHeader(buf: Buffer, msg: Message, tc: boolean, counts: number[]): void {
  const f = msg.flags;
  let flags = (f.opcode & 0xf) << 11;
  if (f.qr) flags |= 0x8000;
  if (f.aa) flags |= 0x0400;
  if (tc) flags |= 0x0200;
  if (f.rd) flags |= 0x0100;
  if (f.ra) flags |= 0x0080;
  if (f.ad) flags |= 0x0020;
  if (f.cd) flags |= 0x0010;
  flags |= msg.rcode & 0xf;
  buf.writeUInt16BE(msg.id & 0xffff, 0);
  buf.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => buf.writeUInt16BE(c, 4 + i * 2));
}

function writeOpt(buf: Buffer, offset: number, edns: Edns, rcode: number): number {
  let off = offset;
  buf[off++] = 0; // root name
  off = buf.writeUInt16BE(RRType.OPT, off);
  off = buf.writeUInt16BE(edns.udpSize, off);
  buf[off++] = (rcode >> 4) & 0xff;
  buf[off++] = edns.version & 0xff;
  off = buf.writeUInt16BE(edns.dnssecOk ? 0x8000 : 0, off);
  const lenAt = off;
  off += 2;
  for (const o of edns.options) {
    off = buf.writeUInt16BE(o.code, off);
    off = buf.writeUInt16BE(o.data.length, off);
    off += o.data.copy(buf, off);
  }
  buf.writeUInt16BE(off - lenAt - 2, lenAt);
  return off;
}

/**
 * Writes one record; may run past the caller's limit (the scratch buffer has room for one
 * record's overshoot past the 64 KiB cap), and the caller rolls back if it does.
 */
function writeRecord(
  buf: Buffer,
  offset: number,
  rr: ResourceRecord,
  names: NameCompressor,
): number {
  if (offset > MAX_MESSAGE_SIZE) return offset;
  let off = names.write(buf, offset, rr.name, true);
  off = buf.writeUInt16BE(rr.type, off);
  off = buf.writeUInt16BE(rr.class, off);
  off = buf.writeUInt32BE(Math.max(0, Math.min(rr.ttl, 0x7fffffff)) >>> 0, off);
  const lenAt = off;
  off += 2;
  off = writeRdata(buf, off, rr, names);
  const len = off - lenAt - 2;
  if (len > 0xffff) throw new DnsEncodeError('rdata longer than 65535 bytes', rr.name);
  buf.writeUInt16BE(len, lenAt);
  return off;
}

function writeRdata(buf: Buffer, off: number, rr: ResourceRecord, names: NameCompressor): number {
  if ('address' in rr) {
    const bytes = rr.type === RRType.A ? ipv4Bytes(rr.address) : ipv6Bytes(rr.address);
    return off + bytes.copy(buf, off);
  }
  // RFC 3597 4: only the RFC 1035 types may compress names inside rdata.
  if ('target' in rr) return names.write(buf, off, rr.target, true);
  if ('soa' in rr) {
    const s = rr.soa;
    off = names.write(buf, off, s.mname, true);
    off = names.write(buf, off, s.rname, true);
    for (const v of [s.serial, s.refresh, s.retry, s.expire, s.minimum])
      off = buf.writeUInt32BE(v >>> 0, off);
    return off;
  }
  if ('mx' in rr) {
    off = buf.writeUInt16BE(rr.mx.preference, off);
    return names.write(buf, off, rr.mx.exchange, true);
  }
  if ('srv' in rr) {
    off = buf.writeUInt16BE(rr.srv.priority, off);
    off = buf.writeUInt16BE(rr.srv.weight, off);
    off = buf.writeUInt16BE(rr.srv.port, off);
    return names.write(buf, off, rr.srv.target, false);
  }
  if ('texts' in rr) {
    for (const t of rr.texts) {
      if (t.length > 255) throw new DnsEncodeError('TXT string longer than 255 bytes', rr.name);
      buf[off++] = t.length;
      off += t.copy(buf, off);
    }
    return off;
  }
  return off + rr.raw.copy(buf, off);
}
