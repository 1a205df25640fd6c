import { RRType } from './constants.js';
import { DnsDecodeError } from './errors.js';
import { formatIPv6 } from './ip.js';
import type { Edns, Flags, Message, Question, ResourceRecord } from './message.js';
import { MAX_NAME_WIRE, labelText } from './names.js';

export interface Header {
  id: number;
  flags: Flags;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** The 12-byte header, or undefined when the buffer is shorter than that. */
export function readHeader(buf: Buffer): Header | undefined {
  if (buf.length < 12) return undefined;
  const f = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    flags: {
      qr: (f & 0x8000) !== 0,
      opcode: (f >> 11) & 0xf,
      aa: (f & 0x0400) !== 0,
      tc: (f & 0x0200) !== 0,
      rd: (f & 0x0100) !== 0,
      ra: (f & 0x0080) !== 0,
      ad: (f & 0x0020) !== 0,
      cd: (f & 0x0010) !== 0,
    },
    rcode: f & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/** Parses a whole message; throws DnsDecodeError on anything malformed, never anything else. */
export function decodeMessage(buf: Buffer): Message {
  const header = readHeader(buf);
  if (!header) throw new DnsDecodeError('message shorter than its header', 0);
  const r = new Reader(buf, 12);
  const questions: Question[] = [];
  for (let i = 0; i < header.qdcount; i++) {
    questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  }
  const answers = readRecords(r, header.ancount);
  const authorities = readRecords(r, header.nscount);
  const additionals: ResourceRecord[] = [];
  let edns: Edns | undefined;
  for (let i = 0; i < header.arcount; i++) {
    const at = r.off;
    const rr = readRecord(r);
    if (rr.type !== RRType.OPT) {
      additionals.push(rr);
      continue;
    }
    if (edns) throw new DnsDecodeError('more than one OPT record', at);
    if (rr.name !== '') throw new DnsDecodeError('OPT record not owned by the root', at);
    edns = optFromRecord(rr, at);
  }
  const rcode = header.rcode | ((edns?.extendedRcode ?? 0) << 4);
  const msg: Message = {
    id: header.id,
    flags: header.flags,
    rcode,
    questions,
    answers,
    authorities,
    additionals,
  };
  if (edns) msg.edns = edns;
  return msg;
}

function readRecords(r: Reader, count: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) out.push(readRecord(r));
  return out;
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  const start = r.off;
  const end = start + len;
  if (end > r.buf.length) throw new DnsDecodeError('rdata runs past the end', start);
  // RFC 2181 8: a TTL with the top bit set counts as zero (OPT keeps its flag bits untouched).
  const base = { name, class: cls, ttl: type !== RRType.OPT && ttl > 0x7fffffff ? 0 : ttl };
  let rr: ResourceRecord;
  switch (type) {
    case RRType.A:
      if (len !== 4) throw new DnsDecodeError('A rdata is not 4 bytes', start);
      rr = { ...base, type, address: [...r.bytes(4)].join('.') };
      break;
    case RRType.AAAA:
      if (len !== 16) throw new DnsDecodeError('AAAA rdata is not 16 bytes', start);
      rr = { ...base, type, address: formatIPv6(r.bytes(16)) };
      break;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      rr = { ...base, type, target: r.name() };
      break;
    case RRType.SOA:
      rr = {
        ...base,
        type,
        soa: {
          mname: r.name(),
          rname: r.name(),
          serial: r.u32(),
          refresh: r.u32(),
          retry: r.u32(),
          expire: r.u32(),
          minimum: r.u32(),
        },
      };
      break;
    case RRType.MX:
      rr = { ...base, type, mx: { preference: r.u16(), exchange: r.name() } };
      break;
    case RRType.SRV:
      rr = {
        ...base,
        type,
        srv: { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() },
      };
      break;
    case RRType.TXT: {
      const texts: Buffer[] = [];
      while (r.off < end) texts.push(r.bytes(r.u8()));
      rr = { ...base, type, texts };
      break;
    }
    default:
      rr = { ...base, type, raw: Buffer.from(r.bytes(len)) };
  }
  if (r.off !== end) throw new DnsDecodeError('rdata length does not match its content', start);
  return rr;
}

function optFromRecord(rr: ResourceRecord, at: number): Edns {
  if (!('raw' in rr)) throw new DnsDecodeError('OPT record without raw rdata', at);
  const options: Edns['options'] = [];
  const data = rr.raw;
  for (let i = 0; i < data.length;) {
    if (i + 4 > data.length) throw new DnsDecodeError('truncated EDNS option', at);
    const code = data.readUInt16BE(i);
    const len = data.readUInt16BE(i + 2);
    if (i + 4 + len > data.length) throw new DnsDecodeError('EDNS option runs past OPT', at);
    options.push({ code, data: Buffer.from(data.subarray(i + 4, i + 4 + len)) });
    i += 4 + len;
  }
  return {
    udpSize: rr.class,
    extendedRcode: rr.ttl >>> 24,
    version: (rr.ttl >>> 16) & 0xff,
    dnssecOk: (rr.ttl & 0x8000) !== 0,
    options,
  };
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public off: number,
  ) {}

  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new DnsDecodeError('message ends early', this.off);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  /** A possibly compressed name. Pointers must go strictly backwards, so loops cannot happen. */
  name(): string {
    const labels: string[] = [];
    let pos = this.off;
    let wire = 1;
    let jumped = false;
    let floor = this.off;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsDecodeError('name runs past the end', pos);
      const len = this.buf[pos] as number;
      if (len === 0) {
        if (!jumped) this.off = pos + 1;
        return labels.join('.');
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 2 > this.buf.length) throw new DnsDecodeError('pointer runs past the end', pos);
        const target = this.buf.readUInt16BE(pos) & 0x3fff;
        if (target >= floor) throw new DnsDecodeError('compression pointer does not go back', pos);
        if (!jumped) this.off = pos + 2;
        jumped = true;
        floor = target;
        pos = target;
        continue;
      }
      if (kind !== 0) throw new DnsDecodeError('reserved label type', pos);
      if (pos + 1 + len > this.buf.length) throw new DnsDecodeError('label runs past the end', pos);
      wire += len + 1;
      if (wire > MAX_NAME_WIRE) throw new DnsDecodeError('name longer than 255 bytes', pos);
      labels.push(labelText(this.buf, pos + 1, pos + 1 + len));
      pos += len + 1;
    }
  }
}
