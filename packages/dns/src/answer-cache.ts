import { RRType } from './constants.js';
import type { SimpleQuery } from './simple-query.js';

/** One encoded reply, ready to be copied out for the next identical question. */
export interface CachedReply<M> {
  readonly bytes: Buffer;
  /** Bytes 12 to here hold the question; each copy gets the asker's spelling of it. */
  readonly questionEnd: number;
  /** Date.now() from which the entry is stale (forwarded answers expire); Infinity for zone answers. */
  readonly expiresAt: number;
  /** Offsets of the answer section's A and AAAA rdata, for shuffling; empty when not shuffled. */
  readonly a: readonly number[];
  readonly aaaa: readonly number[];
  /** Aging answers only: every record's TTL offset, the TTLs as stored, the first tick. */
  readonly ttls: readonly number[];
  readonly ttlValues: readonly number[];
  readonly firstTick: number;
  /** Whatever the owner needs per hit (the handler keeps its metric series here). */
  readonly meta: M;
}

/** When a stored answer ages: its TTLs drop by one at `firstTick` and each second after. */
export interface Aging {
  firstTick: number;
  expiresAt: number;
}

/**
 * Encoded replies keyed on what they depend on (see SimpleQuery.key). Answers from the zone are
 * valid for one zone generation: any zone change drops them, so they are never staler than the
 * zone. Forwarded answers (those stored with an `Aging`) do not depend on the zone at all and
 * stay until they expire, so a cluster whose endpoints churn keeps its external names cached.
 * A hit costs a copy, the ID and question spelling patched in, and the address records
 * shuffled in place, instead of decoding, resolving and encoding again. Bounded by entries
 * and by bytes: past either, the oldest entries go (zone answers first).
 */
export class AnswerCache<M> {
  private zoneEntries = new Map<string, CachedReply<M>>();
  private readonly forwarded = new Map<string, CachedReply<M>>();
  private generation = -1;
  private zoneBytes = 0;
  private forwardedBytes = 0;

  /**
   * `maxBytes` bounds memory whatever the replies' sizes (TCP replies from upstream can reach
   * 64 KiB each); either bound evicts the oldest entries first.
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number = 32 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.zoneEntries.size + this.forwarded.size;
  }

  /** The entry for `key` if it is still valid at zone `generation` and time `now()`. */
  get(key: string, generation: number, now: () => number): CachedReply<M> | undefined {
    if (generation !== this.generation) {
      this.zoneEntries = new Map();
      this.zoneBytes = 0;
      this.generation = generation;
    }
    const z = this.zoneEntries.get(key);
    if (z !== undefined) return z;
    const e = this.forwarded.get(key);
    if (e === undefined) return undefined;
    if (now() >= e.expiresAt) {
      this.forwarded.delete(key);
      this.forwardedBytes -= e.bytes.length;
      return undefined;
    }
    return e;
  }

  /**
   * Stores `reply` (just encoded for `q`). A zone answer is kept only if the zone is still at
   * the `generation` it was computed from; a forwarded one (`aging` given: where its TTLs are,
   * so copies can count them down) whatever the zone did meanwhile. `shuffle` records where the
   * address rdata is, so copies can reorder it.
   */
  set(
    q: SimpleQuery,
    reply: Buffer,
    generation: number,
    aging: Aging | undefined,
    shuffle: boolean,
    meta: M,
  ): void {
    if (this.maxEntries <= 0 || reply.length > this.maxBytes) return;
    if (aging === undefined && generation !== this.generation) return;
    // A reply that lost its question (an encoding failure's SERVFAIL) is not a reusable answer.
    if (reply.length < q.questionEnd || reply.readUInt16BE(4) !== 1) return;
    const layout = recordLayout(reply, q.questionEnd, shuffle, aging !== undefined);
    if (!layout) return;
    this.remove(q.key);
    const entry: CachedReply<M> = {
      bytes: Buffer.from(reply),
      questionEnd: q.questionEnd,
      expiresAt: aging?.expiresAt ?? Infinity,
      firstTick: aging?.firstTick ?? Infinity,
      ttlValues: layout.ttls.map((at) => reply.readUInt32BE(at)),
      ...layout,
      meta,
    };
    if (aging === undefined) {
      this.zoneEntries.set(q.key, entry);
      this.zoneBytes += reply.length;
    } else {
      this.forwarded.set(q.key, entry);
      this.forwardedBytes += reply.length;
    }
    while (this.size > this.maxEntries || this.zoneBytes + this.forwardedBytes > this.maxBytes) {
      const from = this.zoneEntries.size > 0 ? this.zoneEntries : this.forwarded;
      this.remove(from.keys().next().value as string);
    }
  }

  private remove(key: string): void {
    const z = this.zoneEntries.get(key);
    if (z) {
      this.zoneEntries.delete(key);
      this.zoneBytes -= z.bytes.length;
    }
    const f = this.forwarded.get(key);
    if (f) {
      this.forwarded.delete(key);
      this.forwardedBytes -= f.bytes.length;
    }
  }
}

/**
 * A fresh copy of `e` answering `request`: its ID, its question bytes (the name's case exactly
 * as sent), the addresses shuffled when the entry recorded their offsets, and the TTLs lowered
 * by the seconds that ticked since it was stored (never below zero, as the encoder writes them).
 */
export function copyReply<M>(
  e: CachedReply<M>,
  request: Buffer,
  now: () => number = Date.now,
  random: () => number = Math.random,
): Buffer {
  const out = Buffer.allocUnsafe(e.bytes.length);
  e.bytes.copy(out);
  out[0] = request[0] as number;
  out[1] = request[1] as number;
  request.copy(out, 12, 12, e.questionEnd);
  shuffleRdata(out, e.a, 4, random);
  shuffleRdata(out, e.aaaa, 16, random);
  if (e.ttls.length > 0) {
    const t = now();
    if (t >= e.firstTick) {
      const ticks = 1 + Math.floor((t - e.firstTick) / 1000);
      for (let i = 0; i < e.ttls.length; i++)
        out.writeUInt32BE(Math.max(0, (e.ttlValues[i] as number) - ticks), e.ttls[i] as number);
    }
  }
  return out;
}

/** Fisher-Yates over the rdata at `slots` (each `size` bytes), swapping bytes in place. */
function shuffleRdata(
  buf: Buffer,
  slots: readonly number[],
  size: number,
  random: () => number,
): void {
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    if (j === i) continue;
    const x = slots[i] as number;
    const y = slots[j] as number;
    for (let k = 0; k < size; k++) {
      const t = buf[x + k] as number;
      buf[x + k] = buf[y + k] as number;
      buf[y + k] = t;
    }
  }
}

/**
 * Walks the records of our own reply: the rdata offsets of the answer section's A and AAAA
 * records (when `addresses`), and the TTL offset of every record but the OPT (when `ttls`).
 * Undefined if the bytes do not parse, which our encoder's output always does.
 */
function recordLayout(
  buf: Buffer,
  start: number,
  addresses: boolean,
  ttls: boolean,
): { a: number[]; aaaa: number[]; ttls: number[] } | undefined {
  const out = { a: [] as number[], aaaa: [] as number[], ttls: [] as number[] };
  const ancount = buf.readUInt16BE(6);
  const total = ancount + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let pos = start;
  for (let n = 0; n < total; n++) {
    // Owner name: labels up to the root, or up to a pointer (which ends it).
    for (;;) {
      if (pos >= buf.length) return undefined;
      const l = buf[pos] as number;
      if (l === 0) {
        pos += 1;
        break;
      }
      if ((l & 0xc0) === 0xc0) {
        pos += 2;
        break;
      }
      pos += l + 1;
    }
    if (pos + 10 > buf.length) return undefined;
    const type = buf.readUInt16BE(pos);
    const rdlen = buf.readUInt16BE(pos + 8);
    const rdata = pos + 10;
    if (rdata + rdlen > buf.length) return undefined;
    if (ttls && type !== RRType.OPT) out.ttls.push(pos + 4);
    if (addresses && n < ancount) {
      if (type === RRType.A && rdlen === 4) out.a.push(rdata);
      else if (type === RRType.AAAA && rdlen === 16) out.aaaa.push(rdata);
    }
    pos = rdata + rdlen;
  }
  return out;
}
