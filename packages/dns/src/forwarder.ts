import { randomBytes } from 'node:crypto';
import { DnsCache, type CachedAnswer } from './cache.js';
import { RCode } from './constants.js';
import { DnsConfigError, DnsDecodeError } from './errors.js';
import { emptyFlags, type Message, type Question } from './message.js';
import type { DnsMetrics } from './metrics.js';
import { canonicalName } from './names.js';
import type { Upstream } from './resolv-conf.js';
import { UpstreamError, exchangeTcp, exchangeUdp, upstreamLabel } from './upstream.js';
import { decodeMessage } from './wire-decode.js';
import { encodeMessage } from './wire-encode.js';

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Wait for one upstream this long before trying the next. Default 2000 ms. */
  timeoutMs?: number;
  /** Give up (SERVFAIL) after this long in total. Default 5000 ms, as CoreDNS's forward. */
  deadlineMs?: number;
  /** Tries per question across all upstreams (a refusing one fails fast). Default 2 per upstream. */
  attempts?: number;
  /** Upstream queries in flight at most; beyond that, REFUSED (CoreDNS `max_concurrent`). */
  maxConcurrent?: number;
  /** Pass a cache to share it, or false for none. Default: a new DnsCache(). */
  cache?: DnsCache | false;
  metrics?: DnsMetrics;
}

export interface ForwardResult extends CachedAnswer {
  /** Where the answer came from: an upstream label, "cache", or "" when every upstream failed. */
  source: string;
  /** From the cache: the CacheHit timings (this answer's TTLs hold for `stableForMs`, then
   * drop by one each second until the entry expires in `expiresInMs`). */
  stableForMs?: number;
  expiresInMs?: number;
}

/** Upstreams failing this many times in a row move to the back of the order until one succeeds. */
const DEMOTE_AFTER = 3;

/**
 * Forwards questions outside the cluster zone to upstream resolvers: cache first, then the
 * upstreams in rotation (a new starting one per query), retrying the next on timeout or error,
 * over UDP and again over TCP when a reply is truncated. Identical questions in flight share one
 * upstream query. It never throws: every failure becomes a SERVFAIL (or REFUSED) result.
 */
export class Forwarder {
  private readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly attempts: number;
  private readonly maxConcurrent: number;
  private readonly cache: DnsCache | undefined;
  private readonly metrics: DnsMetrics | undefined;
  private readonly failures: number[];
  private readonly inflight = new Map<string, Promise<ForwardResult>>();
  private next = 0;
  private active = 0;

  constructor(options: ForwarderOptions) {
    if (options.upstreams.length === 0)
      throw new DnsConfigError('upstreams', 'at least one is needed');
    this.upstreams = options.upstreams;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.deadlineMs = options.deadlineMs ?? 5000;
    this.attempts = options.attempts ?? 2 * options.upstreams.length;
    this.maxConcurrent = options.maxConcurrent ?? 1000;
    this.cache = options.cache === false ? undefined : (options.cache ?? new DnsCache());
    this.metrics = options.metrics;
    this.failures = options.upstreams.map(() => 0);
  }

  async forward(q: Question, dnssecOk = false): Promise<ForwardResult> {
    const key = DnsCache.key(canonicalName(q.name), q.type, q.class, dnssecOk);
    const hit = this.cache?.get(key);
    if (hit) {
      this.metrics?.cacheHits.inc({ type: hit.negative ? 'denial' : 'success' });
      const { stableForMs, expiresInMs } = hit;
      return { ...hit.answer, source: 'cache', stableForMs, expiresInMs };
    }
    if (this.cache) this.metrics?.cacheMisses.inc({});
    const shared = this.inflight.get(key);
    if (shared) return shared;
    if (this.active >= this.maxConcurrent) {
      this.metrics?.forwardConcurrentRejects.inc({});
      return failure(RCode.REFUSED);
    }
    this.active++;
    const p = this.exchange(q, dnssecOk)
      .then((result) => this.remember(key, result))
      .finally(() => {
        this.active--;
        this.inflight.delete(key);
      });
    this.inflight.set(key, p);
    return p;
  }

  /**
   * Caches an upstream answer and returns it as the cache will serve it: CoreDNS's `cache 30`
   * caps the TTLs of the reply to a miss too, so the first client and the next one agree.
   */
  private remember(key: string, result: ForwardResult): ForwardResult {
    if (!result.source || !this.cache) return result;
    this.cache.set(key, result);
    const stored = this.cache.get(key);
    if (!stored) return result; // not cacheable (a TTL of 0, no SOA): as the upstream sent it
    const { stableForMs, expiresInMs } = stored;
    return { ...stored.answer, source: result.source, stableForMs, expiresInMs };
  }

  private async exchange(q: Question, dnssecOk: boolean): Promise<ForwardResult> {
    const started = Date.now();
    const order = this.order();
    for (
      let attempt = 0;
      attempt < this.attempts && Date.now() - started < this.deadlineMs;
      attempt++
    ) {
      const i = order[attempt % order.length] as number;
      const u = this.upstreams[i] as Upstream;
      const label = upstreamLabel(u);
      const budget = Math.min(this.timeoutMs, this.deadlineMs - (Date.now() - started));
      this.metrics?.forwardRequests.inc({ to: label });
      try {
        const reply = await this.ask(u, q, dnssecOk, budget);
        this.failures[i] = 0;
        this.metrics?.forwardResponses.inc({ to: label, rcode: String(reply.rcode) });
        return {
          rcode: reply.rcode,
          answers: reply.answers,
          authorities: reply.authorities,
          additionals: reply.additionals,
          source: label,
        };
      } catch (e) {
        if (!(e instanceof UpstreamError || e instanceof DnsDecodeError)) throw e;
        this.failures[i] = (this.failures[i] ?? 0) + 1;
        this.metrics?.forwardResponses.inc({ to: label, rcode: 'error' });
      }
    }
    return failure(RCode.SERVFAIL);
  }

  /** Rotation start, with upstreams that keep failing moved behind the healthy ones. */
  private order(): number[] {
    const n = this.upstreams.length;
    const start = this.next++ % n;
    const rotated = Array.from({ length: n }, (_, k) => (start + k) % n);
    const healthy = rotated.filter((i) => (this.failures[i] ?? 0) < DEMOTE_AFTER);
    return [...healthy, ...rotated.filter((i) => !healthy.includes(i))];
  }

  private async ask(
    u: Upstream,
    q: Question,
    dnssecOk: boolean,
    timeoutMs: number,
  ): Promise<Message> {
    const id = randomBytes(2).readUInt16BE(0);
    const query = encodeMessage({
      id,
      flags: { ...emptyFlags(), rd: true },
      rcode: 0,
      questions: [{ name: canonicalName(q.name), type: q.type, class: q.class }],
      answers: [],
      authorities: [],
      additionals: [],
      edns: { udpSize: 1232, version: 0, dnssecOk, extendedRcode: 0, options: [] },
    });
    let reply = decodeMessage(await exchangeUdp(u, query, timeoutMs));
    if (reply.flags.tc) reply = decodeMessage(await exchangeTcp(u, query, timeoutMs));
    const rq = reply.questions[0];
    const matches =
      reply.flags.qr &&
      reply.questions.length === 1 &&
      rq !== undefined &&
      canonicalName(rq.name) === canonicalName(q.name) &&
      rq.type === q.type &&
      rq.class === q.class;
    if (!matches) throw new UpstreamError(u, 'reply does not match the question');
    return reply;
  }
}

function failure(rcode: number): ForwardResult {
  return { rcode, answers: [], authorities: [], additionals: [], source: '' };
}
