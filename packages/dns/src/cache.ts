import { RCode, RRType } from './constants.js';
import type { ResourceRecord } from './message.js';

/** An upstream answer as the cache keeps it (no OPT: each reply builds its own). */
export interface CachedAnswer {
  rcode: number;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export interface CacheOptions {
  /** Most entries kept; the least recently used goes first. Default 10000. */
  maxEntries?: number;
  /** Cap on a positive answer's lifetime in seconds (CoreDNS `cache 30` sets 30). Default 3600. */
  maxTtl?: number;
  /** Cap on a negative answer's lifetime in seconds. Default 1800. */
  maxNegativeTtl?: number;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
}

interface Entry {
  answer: CachedAnswer;
  storedAt: number;
  ttl: number;
  negative: boolean;
}

export interface CacheHit {
  answer: CachedAnswer;
  negative: boolean;
  /** For how many more ms this exact answer (its aged TTLs included) is what `get` returns. */
  stableForMs: number;
  /** In how many ms the entry expires; its TTLs drop by one at each whole second until then. */
  expiresInMs: number;
}

/**
 * A bounded LRU cache of upstream answers that respects TTLs: positive answers live for their
 * smallest record TTL, NXDOMAIN and NODATA for the SOA's negative TTL (RFC 2308 5), both capped.
 * Answers come back with TTLs lowered by the time spent in the cache.
 */
export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly now: () => number;

  constructor(options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10000;
    this.maxTtl = options.maxTtl ?? 3600;
    this.maxNegativeTtl = options.maxNegativeTtl ?? 1800;
    this.now = options.now ?? Date.now;
  }

  static key(name: string, type: number, cls: number, dnssecOk: boolean): string {
    return `${name.toLowerCase()}|${type}|${cls}|${dnssecOk ? 1 : 0}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CacheHit | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const age = this.now() - e.storedAt;
    const elapsed = Math.floor(age / 1000);
    if (elapsed >= e.ttl) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key); // re-insert: Map order is our recency order
    this.entries.set(key, e);
    const aged = (rr: ResourceRecord): ResourceRecord => ({
      ...rr,
      ttl: Math.min(rr.ttl, e.ttl) - elapsed,
    });
    const a = e.answer;
    return {
      negative: e.negative,
      // TTLs drop by one each whole second stored, and the entry dies on such a boundary too.
      stableForMs: (elapsed + 1) * 1000 - age,
      expiresInMs: e.ttl * 1000 - age,
      answer: {
        rcode: a.rcode,
        answers: a.answers.map(aged),
        authorities: a.authorities.map(aged),
        additionals: a.additionals.map(aged),
      },
    };
  }

  /** Stores a cacheable answer (NOERROR or NXDOMAIN with a usable TTL); ignores anything else. */
  set(key: string, answer: CachedAnswer): void {
    const lifetime = this.lifetime(answer);
    if (!lifetime) return;
    this.entries.delete(key);
    this.entries.set(key, { answer, storedAt: this.now(), ...lifetime });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  private lifetime(a: CachedAnswer): { ttl: number; negative: boolean } | undefined {
    const negative =
      a.rcode === RCode.NXDOMAIN || (a.rcode === RCode.NOERROR && a.answers.length === 0);
    if (a.rcode !== RCode.NOERROR && a.rcode !== RCode.NXDOMAIN) return undefined;
    let ttl: number;
    if (negative) {
      const soa = a.authorities.find((r) => r.type === RRType.SOA);
      if (!soa || !('soa' in soa)) return undefined; // no SOA: RFC 2308 says do not cache
      ttl = Math.min(soa.ttl, soa.soa.minimum, this.maxNegativeTtl);
    } else {
      ttl = Math.min(this.maxTtl, ...a.answers.map((r) => r.ttl));
    }
    return ttl > 0 ? { ttl, negative } : undefined;
  }
}
