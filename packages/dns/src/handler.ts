import {
  CLASSIC_UDP_SIZE,
  MAX_MESSAGE_SIZE,
  MAX_UDP_SIZE,
  Opcode,
  RCode,
  RRType,
  rcodeName,
} from './constants.js';
import { AnswerCache, copyReply, type Aging, type CachedReply } from './answer-cache.js';
import { DnsDecodeError } from './errors.js';
import type { Forwarder } from './forwarder.js';
import { shuffleAddresses } from './load-balance.js';
import type { Edns, Message, Question } from './message.js';
import { typeLabel, type CounterSeries, type DnsMetrics, type HistogramSeries } from './metrics.js';
import type { Resolution, Resolver } from './resolver.js';
import { parseSimpleQuery, type SimpleQuery } from './simple-query.js';
import { decodeMessage, readHeader } from './wire-decode.js';
import { encodeMessage } from './wire-encode.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Structured log sink; the app turns calls into one JSON object per line. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface HandlerOptions {
  resolver: Resolver;
  /** Where names outside the cluster zone go; without one they are REFUSED. */
  forwarder?: Forwarder;
  metrics?: DnsMetrics;
  /** Shuffle A/AAAA answers (CoreDNS `loadbalance`); default true. */
  loadBalance?: boolean;
  /** Encoded replies kept for repeated questions; default 10000, 0 turns the cache off. */
  answerCacheSize?: number;
  log?: Logger;
}

export interface QueryContext {
  proto: 'udp' | 'tcp';
  family: 4 | 6;
}

type Reply = Buffer | undefined;

/** Metric series a cache hit bumps, found once when its reply is stored. */
interface HitMetrics {
  readonly zone: string;
  readonly type: string;
  /** coredns_dns_requests_total by client family (index 0 IPv4, 1 IPv6), looked up lazily. */
  readonly requests: (CounterSeries | undefined)[];
  readonly responses: CounterSeries;
  readonly duration: HistogramSeries;
  /** For forwarded answers: the forward cache's hit counter, as a hit here is one there. */
  readonly cacheHits: CounterSeries | undefined;
}

/** What a miss needs to store its reply for the next identical question. */
interface Fill {
  query: SimpleQuery;
  generation: number;
  cache: AnswerCache<HitMetrics | undefined>;
}

const DEFAULT_ANSWER_CACHE = 10_000;

/**
 * Turns one request's bytes into the response's bytes: decode (guarded), answer from the
 * resolver or the forwarder, encode with compression, truncate for UDP. `handle` never rejects;
 * it resolves undefined when a request must be dropped (too short to carry a header, or itself a
 * response, which answering could turn into a loop).
 *
 * Replies to plain queries (see parseSimpleQuery) are kept encoded, keyed on the lower-cased
 * question and everything else the bytes depend on, until the zone changes (forwarded ones
 * also until the forward cache's entry expires): a repeated question is answered by copying
 * them with the new ID, the asker's spelling of the question, the addresses reshuffled and,
 * for forwarded answers, the TTLs counted down.
 */
export class QueryHandler {
  private options: HandlerOptions;
  private cache: AnswerCache<HitMetrics | undefined>;

  constructor(options: HandlerOptions) {
    this.options = options;
    this.cache = new AnswerCache(options.answerCacheSize ?? DEFAULT_ANSWER_CACHE);
  }

  /**
   * Answers from now on with `options` (a new resolver, forwarder, metrics...), dropping the
   * cached replies; queries already being answered finish with the options they started with.
   */
  reconfigure(options: HandlerOptions): void {
    this.options = options;
    this.cache = new AnswerCache(options.answerCacheSize ?? DEFAULT_ANSWER_CACHE);
  }

  /** How many encoded replies the answer cache holds now. */
  get cachedReplies(): number {
    return this.cache.size;
  }

  handle(request: Buffer, ctx: QueryContext): Promise<Reply> {
    const reply = this.handleNow(request, ctx);
    return reply instanceof Promise ? reply : Promise.resolve(reply);
  }

  /**
   * Like `handle`, but answers synchronously when it can (cached replies and cluster names):
   * the reply (or undefined to drop) at once, or a promise when an upstream must be asked.
   * Never throws, and the promise never rejects.
   */
  handleNow(request: Buffer, ctx: QueryContext): Reply | Promise<Reply> {
    try {
      return this.process(request, ctx);
    } catch (e) {
      // Every step below guards its own failures; this is the last line against a bug taking
      // down the socket's event handler (and with it the server).
      this.options.log?.('error', 'handler bug', { error: String(e) });
      return undefined;
    }
  }

  private process(request: Buffer, ctx: QueryContext): Reply | Promise<Reply> {
    const o = this.options;
    const simple = parseSimpleQuery(request, ctx.proto);
    let fill: Fill | undefined;
    if (simple) {
      const started = performance.now();
      const generation = o.resolver.generation;
      const hit = this.cache.get(simple.key, generation, Date.now);
      if (hit) return this.fromCache(o, hit, request, ctx, started);
      fill = { query: simple, generation, cache: this.cache };
    }
    const header = readHeader(request);
    if (!header || header.flags.qr) {
      o.metrics?.malformed.inc({ action: 'drop' });
      return undefined;
    }
    let query: Message;
    try {
      query = decodeMessage(request);
    } catch (e) {
      // The decoder throws only DnsDecodeError; anything else is a bug, still answered FORMERR.
      if (!(e instanceof DnsDecodeError)) o.log?.('error', 'decoder bug', { error: String(e) });
      o.metrics?.malformed.inc({ action: 'formerr' });
      return this.encodeSafely(o, this.reply(o, header, [], RCode.FORMERR), CLASSIC_UDP_SIZE);
    }
    try {
      const reply = this.answer(o, query, ctx, fill);
      return reply instanceof Promise ? reply.catch((e) => this.failed(o, query, e)) : reply;
    } catch (e) {
      return this.failed(o, query, e);
    }
  }

  private fromCache(
    o: HandlerOptions,
    hit: CachedReply<HitMetrics | undefined>,
    request: Buffer,
    ctx: QueryContext,
    started: number,
  ): Buffer {
    const reply = copyReply(hit, request);
    const m = hit.meta;
    if (m && o.metrics) {
      const f = ctx.family === 6 ? 1 : 0;
      let requests = m.requests[f];
      if (!requests) {
        const family = ctx.family === 6 ? '2' : '1';
        requests = o.metrics.requests.series({
          zone: m.zone,
          proto: ctx.proto,
          family,
          type: m.type,
        });
        m.requests[f] = requests;
      }
      requests.value++;
      m.responses.value++;
      if (m.cacheHits) m.cacheHits.value++;
      m.duration.observe((performance.now() - started) / 1000);
    }
    return reply;
  }

  private failed(o: HandlerOptions, query: Message, e: unknown): Reply {
    o.log?.('error', 'query failed', { error: String(e), question: query.questions[0] });
    const msg = this.reply(o, query, query.questions.slice(0, 1), RCode.SERVFAIL, query.edns);
    return this.encodeSafely(o, msg, CLASSIC_UDP_SIZE);
  }

  private answer(
    o: HandlerOptions,
    query: Message,
    ctx: QueryContext,
    fill: Fill | undefined,
  ): Reply | Promise<Reply> {
    const started = performance.now();
    const q = query.questions[0];
    const edns = query.edns;
    const { resolver, forwarder, metrics } = o;
    const zone = q && resolver.owns(q.name) ? `${resolver.zoneName}.` : '.';
    const family = ctx.family === 6 ? '2' : '1';
    // Every request that got this far is counted, refused or not, as CoreDNS does.
    metrics?.requests.inc({
      zone,
      proto: ctx.proto,
      family,
      type: q ? typeLabel(q.type) : 'other',
    });
    const early = (questions: Question[], rcode: number): Reply => {
      metrics?.responses.inc({ zone, rcode: rcodeName(rcode), plugin: '' });
      return this.respond(o, this.reply(o, query, questions, rcode, edns), ctx, edns);
    };
    if (query.flags.opcode !== Opcode.QUERY)
      return early(query.questions.slice(0, 1), RCode.NOTIMP);
    if (!q || query.questions.length !== 1) return early([], RCode.FORMERR);
    if (edns && edns.version > 0) return early([q], RCode.BADVERS);

    const done = { o, query, ctx, q, zone, started };
    const dnssecOk = edns?.dnssecOk ?? false;
    // Zone transfers are refused everywhere, not forwarded: we serve no zone to copy.
    const transfer = q.type === RRType.AXFR || q.type === RRType.IXFR;
    const res = transfer ? refused() : resolver.resolve(q);
    if (res?.chase && forwarder) {
      // The CNAME's target lives upstream: this answer is as fresh as the upstream's, so it
      // is not kept.
      return forwarder.forward(res.chase, dnssecOk).then((chased) => {
        if (chased.rcode === RCode.NOERROR) res.answers.push(...chased.answers);
        return this.finish(done, res, 'kubernetes', undefined);
      });
    }
    if (res) return this.finish(done, res, 'kubernetes', fill);
    if (!forwarder) return this.finish(done, refused(), 'forward', fill);
    return forwarder.forward(q, dnssecOk).then((fwd) => {
      // Only an answer from the forward cache is known to age predictably until it expires.
      const { stableForMs, expiresInMs } = fwd;
      if (stableForMs === undefined || expiresInMs === undefined)
        return this.finish(done, fwd, 'forward', undefined);
      const now = Date.now();
      const aging = { firstTick: now + stableForMs, expiresAt: now + expiresInMs };
      return this.finish(done, fwd, 'forward', fill, aging);
    });
  }

  private finish(
    d: {
      o: HandlerOptions;
      query: Message;
      ctx: QueryContext;
      q: Question;
      zone: string;
      started: number;
    },
    res: Resolution,
    plugin: 'kubernetes' | 'forward',
    fill: Fill | undefined,
    aging?: Aging,
  ): Reply {
    const { o, query, ctx, q, zone } = d;
    const edns = query.edns;
    const { rcode, authorities, additionals } = res;
    const shuffle = o.loadBalance !== false;
    const answers = shuffle ? shuffleAddresses(res.answers) : res.answers;
    const msg = this.reply(o, query, [q], rcode, edns, { answers, authorities, additionals });
    const authoritative = plugin === 'kubernetes';
    msg.flags.aa = authoritative && rcode !== RCode.SERVFAIL && rcode !== RCode.REFUSED;
    const reply = this.respond(o, msg, ctx, edns);
    const type = typeLabel(q.type);
    const metrics = o.metrics;
    let meta: HitMetrics | undefined;
    if (metrics) {
      const negative = rcode === RCode.NXDOMAIN || res.answers.length === 0;
      meta = {
        zone,
        type,
        requests: [],
        responses: metrics.responses.series({ zone, rcode: rcodeName(rcode), plugin }),
        duration: metrics.requestDuration.series({ zone, type }),
        cacheHits:
          plugin === 'forward'
            ? metrics.cacheHits.series({ type: negative ? 'denial' : 'success' })
            : undefined,
      };
      meta.responses.value++;
      meta.duration.observe((performance.now() - d.started) / 1000);
    }
    // A zone answer is stored only if the zone did not change while it was worked out; a
    // forwarded one (aging) does not depend on the zone.
    if (reply && fill && (aging !== undefined || o.resolver.generation === fill.generation))
      fill.cache.set(fill.query, reply, fill.generation, aging, shuffle, meta);
    return reply;
  }

  private respond(
    o: HandlerOptions,
    msg: Message,
    ctx: QueryContext,
    edns: Edns | undefined,
  ): Reply {
    // Without EDNS a UDP reply must fit 512 bytes; with it, what the client says it can take.
    const limit =
      ctx.proto === 'tcp'
        ? MAX_MESSAGE_SIZE
        : edns
          ? Math.min(Math.max(edns.udpSize, CLASSIC_UDP_SIZE), MAX_UDP_SIZE)
          : CLASSIC_UDP_SIZE;
    return this.encodeSafely(o, msg, limit);
  }

  private encodeSafely(o: HandlerOptions, msg: Message, limit: number): Reply {
    try {
      return encodeMessage(msg, limit);
    } catch (e) {
      o.log?.('error', 'could not encode a reply', { error: String(e) });
      return encodeMessage(this.reply(o, msg, [], RCode.SERVFAIL, msg.edns), limit);
    }
  }

  private reply(
    o: HandlerOptions,
    request: Pick<Message, 'id' | 'flags'>,
    questions: Question[],
    rcode: number,
    clientEdns?: Edns,
    sections: Pick<Message, 'answers' | 'authorities' | 'additionals'> = {
      answers: [],
      authorities: [],
      additionals: [],
    },
  ): Message {
    const f = request.flags;
    const msg: Message = {
      id: request.id,
      flags: { ...f, qr: true, aa: false, tc: false, ra: !!o.forwarder, ad: false },
      rcode,
      questions,
      ...sections,
    };
    // Echo EDNS when the client used it (RFC 6891 7): our payload size, version 0, its DO bit.
    if (clientEdns)
      msg.edns = {
        udpSize: MAX_UDP_SIZE,
        version: 0,
        dnssecOk: clientEdns.dnssecOk,
        extendedRcode: 0,
        options: [],
      };
    return msg;
  }
}

function refused(): Resolution {
  return { rcode: RCode.REFUSED, answers: [], authorities: [], additionals: [] };
}
