import { isIP } from 'node:net';
import { InvalidAddressError } from './errors.js';
import { ipToBytes } from './ip-address.js';

// nf_tables over nfnetlink, the byte layouts nft 1.0.6 itself sends (checked with
// `strace -e trace=sendmsg -xx nft add element ...`) and the uapi headers
// include/uapi/linux/netfilter/{nfnetlink,nf_tables}.h.

export const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWRULE = 6;
const NFT_MSG_GETRULE = 7;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NFT_MSG_NEWGEN = 15;
const NFT_MSG_GETGEN = 16;

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLM_F_CREATE = 0x400;
const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_DATA = 2;
const NFTA_DATA_VALUE = 1;
const NFTA_DATA_VERDICT = 2;
const NFTA_VERDICT_CODE = 1;
const NFTA_VERDICT_CHAIN = 2;
const NFTA_RULE_TABLE = 1;
const NFTA_RULE_CHAIN = 2;
const NFTA_RULE_HANDLE = 3;
const NFTA_RULE_EXPRESSIONS = 4;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
const NFTA_IMMEDIATE_DREG = 1;
const NFTA_IMMEDIATE_DATA = 2;
const NFT_REG_VERDICT = 0;

/** Table families by their NFPROTO_* number. */
const FAMILY = { inet: 1, ip: 2, ip6: 10 } as const;
export type NftFamily = keyof typeof FAMILY;

const VERDICT_CODE = { drop: 0, accept: 1, jump: -3, goto: -4, return: -5 } as const;

/**
 * One field of a set key or map data, in nft's datatype names. A concatenation (`ip . inet_proto
 * . inet_service`) is a list of fields; each is padded to 4 bytes on the wire.
 */
export type NftValue =
  | { type: 'ipv4_addr' | 'ipv6_addr'; value: string }
  /** An IP protocol number (6 tcp, 17 udp, 132 sctp). */
  | { type: 'inet_proto'; value: number }
  /** A port (network byte order on the wire). */
  | { type: 'inet_service'; value: number }
  /** A 32-bit integer in host byte order, e.g. the value of `numgen random mod N`. */
  | { type: 'integer'; value: number };

export type NftVerdict =
  { kind: 'jump' | 'goto'; chain: string } | { kind: 'accept' | 'drop' | 'return' };

export interface NftElement {
  key: readonly NftValue[];
  /** A map's data: a verdict (verdict maps) or a concatenation of values. Absent for sets. */
  data?: NftVerdict | readonly NftValue[];
}

/** `add element` / `delete element` on one set or map of the table. */
export interface NftElementOp {
  op: 'add' | 'delete';
  set: string;
  elements: readonly NftElement[];
}

export interface NftTableRef {
  family: NftFamily;
  name: string;
}

/** One message of a request, before its sequence number is assigned. */
export interface NftMessage {
  type: number;
  flags: number;
  family: number;
  /** nfgenmsg.res_id (the subsystem, for batch delimiters). */
  resId: number;
  attrs: Buffer;
  /** Names the message in errors (`add element inet t endpoints-v4`). */
  what: string;
}

function nftType(msg: number): number {
  return (NFNL_SUBSYS_NFTABLES << 8) | msg;
}

export function encodeMessage(m: NftMessage, seq: number): Buffer {
  const len = 16 + 4 + m.attrs.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(m.type, 4);
  b.writeUInt16LE(m.flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt8(m.family, 16);
  b.writeUInt8(0, 17); // NFNETLINK_V0
  b.writeUInt16BE(m.resId, 18);
  m.attrs.copy(b, 20);
  return b;
}

/** One netlink attribute: length, type, payload, zero padding to 4 bytes. */
export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

function strAttr(type: number, s: string): Buffer {
  return attr(type, Buffer.from(`${s}\0`));
}

/**
 * Writes attributes straight into one buffer: a batch of 80k elements would otherwise allocate
 * half a million small Buffers. `begin`/`end` bracket an attribute (nested ones included).
 */
class AttrWriter {
  private buf = Buffer.alloc(4096);
  off = 0;

  begin(type: number): number {
    this.room(4);
    const at = this.off;
    this.buf.writeUInt16LE(type, at + 2);
    this.off += 4;
    return at;
  }

  /** Closes the attribute begun at `at`: its length, then zero padding to 4 bytes. */
  end(at: number): void {
    this.buf.writeUInt16LE(this.off - at, at);
    const padded = (this.off + 3) & ~3;
    this.room(padded - this.off);
    this.buf.fill(0, this.off, padded);
    this.off = padded;
  }

  bytes(type: number, write: (b: Buffer, off: number) => number, size: number): void {
    const at = this.begin(type);
    this.room(size);
    this.buf.fill(0, this.off, this.off + size);
    this.off = write(this.buf, this.off);
    this.end(at);
  }

  str(type: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.bytes(type, (b, off) => off + b.write(s, off) + 1, n + 1);
  }

  u32be(type: number, n: number): void {
    this.bytes(type, (b, off) => b.writeInt32BE(n, off), 4);
  }

  /** A concatenation: every field padded to a 4-byte boundary, as nft registers hold it. */
  values(type: number, values: readonly NftValue[]): void {
    let size = 0;
    for (const v of values) size += v.type === 'ipv6_addr' ? 16 : 4;
    this.bytes(
      type,
      (b, off) => {
        for (const v of values) off = writeValue(b, off, v);
        return off;
      },
      size,
    );
  }

  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }
}

/** Writes one field (zeroed, padded to 4 bytes) at `off`; returns the offset after it. */
function writeValue(b: Buffer, off: number, v: NftValue): number {
  switch (v.type) {
    case 'ipv4_addr':
      writeIpv4(b, off, v.value);
      return off + 4;
    case 'ipv6_addr':
      if (isIP(v.value) !== 6)
        throw new InvalidAddressError(`not an ipv6_addr: ${JSON.stringify(v.value)}`, v.value);
      ipToBytes(v.value).copy(b, off);
      return off + 16;
    case 'inet_proto':
      b.writeUInt8(checkInt(v, 0xff), off);
      return off + 4;
    case 'inet_service':
      b.writeUInt16BE(checkInt(v, 0xffff), off);
      return off + 4;
    case 'integer':
      b.writeUInt32LE(checkInt(v, 0xffffffff), off);
      return off + 4;
    default:
      throw new RangeError(`unknown nftables value type: ${String((v as { type: unknown }).type)}`);
  }
}

/** Dotted-quad IPv4 (the form `net.isIP` accepts: no leading zeros), parsed without allocating. */
function writeIpv4(b: Buffer, off: number, ip: string): void {
  let part = 0;
  let value = 0;
  let digits = 0;
  const bad = (): never => {
    throw new InvalidAddressError(`not an ipv4_addr: ${JSON.stringify(ip)}`, String(ip));
  };
  if (typeof ip !== 'string') bad();
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46; // a final '.'
    if (c === 46) {
      if (digits === 0 || part > 3) bad();
      b[off + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) bad(); // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) bad();
    } else bad();
  }
  if (part !== 4) bad();
}

function checkInt(v: NftValue, max: number): number {
  const n = v.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max)
    throw new RangeError(`${v.type} out of range: ${String(n)}`);
  return n;
}

// `index` numbers the element within its message, as libnftnl does (the kernel ignores the type of
// a list entry; numbering keeps our bytes identical to nft's).
function writeElement(w: AttrWriter, e: NftElement, index: number): void {
  const elem = w.begin(index | NLA_F_NESTED);
  const key = w.begin(NFTA_SET_ELEM_KEY | NLA_F_NESTED);
  w.values(NFTA_DATA_VALUE, e.key);
  w.end(key);
  if (e.data !== undefined) {
    const data = w.begin(NFTA_SET_ELEM_DATA | NLA_F_NESTED);
    if (Array.isArray(e.data)) w.values(NFTA_DATA_VALUE, e.data as readonly NftValue[]);
    else {
      const v = e.data as NftVerdict;
      const code = VERDICT_CODE[v.kind];
      if (code === undefined) throw new RangeError(`not a map verdict: ${String(v.kind)}`);
      const verdict = w.begin(NFTA_DATA_VERDICT | NLA_F_NESTED);
      w.u32be(NFTA_VERDICT_CODE, code);
      if (v.kind === 'jump' || v.kind === 'goto') {
        if (typeof v.chain !== 'string' || v.chain === '' || Buffer.byteLength(v.chain) > 255)
          throw new RangeError(`bad chain name in a verdict: ${JSON.stringify(v.chain)}`);
        w.str(NFTA_VERDICT_CHAIN, v.chain);
      }
      w.end(verdict);
    }
    w.end(data);
  }
  w.end(elem);
}

// An attribute's length is 16 bits: a message's element list stops growing past this many bytes
// (one element is at most a few hundred bytes: 256-byte chain name, 40-byte ipv6 key).
const MAX_ELEMENTS_BYTES = 60_000;

/**
 * The NEWSETELEM/DELSETELEM messages of `ops`, in order, every one asking for an ack. Element
 * lists too long for one attribute are split over several messages. Throws (InvalidAddressError,
 * RangeError) on a value that cannot be encoded, before anything is sent.
 */
export function elementMessages(table: NftTableRef, ops: readonly NftElementOp[]): NftMessage[] {
  const family = familyNumber(table.family);
  const out: NftMessage[] = [];
  for (const op of ops) {
    const add = op.op === 'add';
    const what = `${op.op} element ${table.family} ${table.name} ${op.set}`;
    let i = 0;
    while (i < op.elements.length) {
      const w = new AttrWriter();
      w.str(NFTA_SET_ELEM_LIST_TABLE, table.name);
      w.str(NFTA_SET_ELEM_LIST_SET, op.set);
      const list = w.begin(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
      let n = 0;
      while (i < op.elements.length && w.off - list < MAX_ELEMENTS_BYTES)
        writeElement(w, op.elements[i++]!, ++n);
      w.end(list);
      out.push({
        type: nftType(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM),
        // NLM_F_CREATE without NLM_F_EXCL: nft's `add` (an identical element is not an error).
        flags: NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE : 0),
        family,
        resId: 0,
        attrs: w.take(),
        what,
      });
    }
  }
  return out;
}

/** The batch delimiters around a transaction's messages. */
export function batchBegin(): NftMessage {
  return batchDelimiter(NFNL_MSG_BATCH_BEGIN, 'batch begin');
}

export function batchEnd(): NftMessage {
  return batchDelimiter(NFNL_MSG_BATCH_END, 'batch end');
}

function batchDelimiter(type: number, what: string): NftMessage {
  const attrs = Buffer.alloc(0);
  return { type, flags: NLM_F_REQUEST, family: 0, resId: NFNL_SUBSYS_NFTABLES, attrs, what };
}

/** Asks for the ruleset generation: its reply comes after every reply to an earlier batch. */
export function getGeneration(): NftMessage {
  const attrs = Buffer.alloc(0);
  return {
    type: nftType(NFT_MSG_GETGEN),
    flags: NLM_F_REQUEST,
    family: 0,
    resId: 0,
    attrs,
    what: 'get generation',
  };
}

export const NEWGEN_TYPE = nftType(NFT_MSG_NEWGEN);
export const NEWRULE_TYPE = nftType(NFT_MSG_NEWRULE);

/** A dump of one chain's rules (the kernel filters by table and chain). */
export function getRulesDump(table: NftTableRef, chain: string): NftMessage {
  return {
    type: nftType(NFT_MSG_GETRULE),
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    family: familyNumber(table.family),
    resId: 0,
    attrs: Buffer.concat([strAttr(NFTA_RULE_TABLE, table.name), strAttr(NFTA_RULE_CHAIN, chain)]),
    what: `list chain ${table.family} ${table.name} ${chain}`,
  };
}

function familyNumber(f: NftFamily): number {
  const n = FAMILY[f];
  if (n === undefined) throw new RangeError(`unknown nftables family: ${String(f)}`);
  return n;
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  /** Everything after the 16-byte header. */
  payload: Buffer;
}

/** Splits one datagram into its netlink messages. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      payload: buf.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** An NLMSG_ERROR's errno (0 for an ack) and the sequence number of the message it answers. */
export function parseError(m: NlMessage): { errno: number; seq: number } {
  return { errno: 0 - m.payload.readInt32LE(0) || 0, seq: m.payload.readUInt32LE(4 + 8) };
}

function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const [type, payload] of attrList(buf)) out.set(type, payload);
  return out;
}

function attrList(buf: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push([buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len)]);
    off += (len + 3) & ~3;
  }
  return out;
}

function cString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end < 0 ? b.length : end);
}

/** One rule of a chain as the kernel reports it: enough to check what it jumps to. */
export interface NftRuleInfo {
  handle: bigint;
  /** Expression names in order (`meta`, `cmp`, `immediate`, ...). */
  expressions: string[];
  /** Verdicts the rule sets unconditionally (its `immediate` expressions). */
  verdicts: NftVerdict[];
}

const CODE_KIND = new Map<number, NftVerdict['kind']>(
  Object.entries(VERDICT_CODE).map(([k, v]) => [v, k as NftVerdict['kind']]),
);

/** Reads a NEWRULE message of a rule dump. */
export function parseRule(m: NlMessage): NftRuleInfo {
  const attrs = parseAttrs(m.payload.subarray(4));
  const handle = attrs.get(NFTA_RULE_HANDLE);
  const rule: NftRuleInfo = {
    handle: handle && handle.length === 8 ? handle.readBigUInt64BE(0) : 0n,
    expressions: [],
    verdicts: [],
  };
  for (const [, elem] of attrList(attrs.get(NFTA_RULE_EXPRESSIONS) ?? Buffer.alloc(0))) {
    const expr = parseAttrs(elem);
    const name = cString(expr.get(NFTA_EXPR_NAME)) ?? '';
    rule.expressions.push(name);
    if (name !== 'immediate') continue;
    const imm = parseAttrs(expr.get(NFTA_EXPR_DATA) ?? Buffer.alloc(0));
    const dreg = imm.get(NFTA_IMMEDIATE_DREG);
    if (!dreg || dreg.readUInt32BE(0) !== NFT_REG_VERDICT) continue;
    const data = parseAttrs(imm.get(NFTA_IMMEDIATE_DATA) ?? Buffer.alloc(0));
    const v = parseAttrs(data.get(NFTA_DATA_VERDICT) ?? Buffer.alloc(0));
    const code = v.get(NFTA_VERDICT_CODE);
    const kind = code ? CODE_KIND.get(code.readInt32BE(0)) : undefined;
    if (kind === 'jump' || kind === 'goto')
      rule.verdicts.push({ kind, chain: cString(v.get(NFTA_VERDICT_CHAIN)) ?? '' });
    else if (kind) rule.verdicts.push({ kind });
  }
  return rule;
}
