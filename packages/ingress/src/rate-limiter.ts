/** Requests per second per client, with a burst allowance (ingress-nginx limit-rps). */
export interface RateLimit {
  rps: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by route and client address: each holds up to `burst` tokens and refills
 * at `rps` per second; a request without a token is refused (like nginx `limit_req ... nodelay`).
 * Client addresses are attacker-chosen keys, so the map is bounded: when full, the least
 * recently seen bucket is dropped (a dropped client just starts again with a full bucket).
 * It lives in the handler, not the route table, so a table swap does not reset anyone's limit.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`; false when the client is over its limit. */
  take(key: string, limit: RateLimit): boolean {
    const t = this.now();
    const b = this.buckets.get(key);
    let tokens = limit.burst;
    if (b) {
      tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.rps);
      this.buckets.delete(key); // re-inserted below: Map order doubles as recency order
    } else if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: t });
    return allowed;
  }

  get size(): number {
    return this.buckets.size;
  }
}
