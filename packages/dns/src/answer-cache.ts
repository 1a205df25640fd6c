import { RRType } from './constants.js';
import type { SimpleQuery } from './simple-query.js';

/** One encoded reply, ready to be copied out for the next identical question. */
export interface CachedReply<M> {
  readonly bytes: Buffer;
  /** Bytes 12 to here hold the question; each copy gets the asker's spelling of it. */
  readonly questionEnd: number;
  /** Date.now() from which the bytes are stale (forwarded answers age); Infinity for zone answers. */
  readonly expiresAt: number;
  /** Offsets of the answer section's A and AAAA rdata, for shuffling; empty when not shuffled. */
  readonly a: readonly number[];
  readonly aaaa: readonly number[];
  /** Whatever the owner needs per hit (the handler keeps its metric series here). */
  readonly meta: M;
}

/**
 * Encoded replies keyed on what they depend on (see SimpleQuery.key), valid for one zone
 * generation: any zone change empties the cache, so answers are never staler than the zone.
 * A hit costs a copy, the ID and question spelling patched in, and the address records
 * shuffled in place, instead of decoding, resolving and encoding again. Bounded: past
 * `maxEntries` the oldest entry goes.
 */
export class AnswerCache<M> {
  private readonly entries = new Map<string, CachedReply<M>>();
  private generation = -1;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key` if it is still valid at zone `generation` and time `now()`. */
  get(key: string, generation: number, now: () => number): CachedReply<M> | undefined {
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
      return undefined;
    }
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== Infinity && now() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Stores `reply` (just encoded for `q`) if the zone is still at the `generation` the answer
   * was computed from. `shuffle` records where the address rdata is, so copies can reorder it.
   */
  set(
    q: SimpleQuery,
    reply: Buffer,
    generation: number,
    expiresAt: number,
    shuffle: boolean,
    meta: M,
  ): void {
    if (generation !== this.generation || this.maxEntries <= 0) return;
    // A reply that lost its question (an encoding failure's SERVFAIL) is not a reusable answer.
    if (reply.length < q.questionEnd || reply.readUInt16BE(4) !== 1) return;
    const a: number[] = [];
    const aaaa: number[] = [];
    if (shuffle) addressSlots(reply, q.questionEnd, a, aaaa);
    this.entries.delete(q.key);
    this.entries.set(q.key, {
      bytes: Buffer.from(reply),
      questionEnd: q.questionEnd,
      expiresAt,
      a,
      aaaa,
      meta,
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * A fresh copy of `e` answering `request`: its ID, its question bytes (the name's case exactly
 * as sent), and the addresses shuffled when the entry recorded their offsets.
 */
export function copyReply<M>(
  e: CachedReply<M>,
  request: Buffer,
  random: () => number = Math.random,
): Buffer {
  const out = Buffer.allocUnsafe(e.bytes.length);
  e.bytes.copy(out);
  out[0] = request[0] as number;
  out[1] = request[1] as number;
  request.copy(out, 12, 12, e.questionEnd);
  shuffleRdata(out, e.a, 4, random);
  shuffleRdata(out, e.aaaa, 16, random);
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

/** Collects the rdata offsets of the A and AAAA records in the answer section of our own reply. */
function addressSlots(buf: Buffer, start: number, a: number[], aaaa: number[]): void {
  const ancount = buf.readUInt16BE(6);
  let pos = start;
  for (let n = 0; n < ancount; n++) {
    // Owner name: labels up to the root, or up to a pointer (which ends it).
    for (;;) {
      if (pos >= buf.length) return;
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
    if (pos + 10 > buf.length) return;
    const type = buf.readUInt16BE(pos);
    const rdlen = buf.readUInt16BE(pos + 8);
    const rdata = pos + 10;
    if (rdata + rdlen > buf.length) return;
    if (type === RRType.A && rdlen === 4) a.push(rdata);
    else if (type === RRType.AAAA && rdlen === 16) aaaa.push(rdata);
    pos = rdata + rdlen;
  }
}
