import {
  CLASSIC_UDP_SIZE,
  MAX_MESSAGE_SIZE,
  MAX_UDP_SIZE,
  Opcode,
  RCode,
  RRType,
  rcodeName,
} from './constants.js';
import { DnsDecodeError } from './errors.js';
import type { Forwarder } from './forwarder.js';
import { shuffleAddresses } from './load-balance.js';
import type { Edns, Message, Question } from './message.js';
import { typeLabel, type DnsMetrics } from './metrics.js';
import type { Resolution, Resolver } from './resolver.js';
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
  log?: Logger;
}

export interface QueryContext {
  proto: 'udp' | 'tcp';
  family: 4 | 6;
}

/**
 * Turns one request's bytes into the response's bytes: decode (guarded), answer from the
 * resolver or the forwarder, encode with compression, truncate for UDP. `handle` never rejects;
 * it resolves undefined when a request must be dropped (too short to carry a header, or itself a
 * response, which answering could turn into a loop).
 */
export class QueryHandler {
  constructor(private readonly options: HandlerOptions) {}

  async handle(request: Buffer, ctx: QueryContext): Promise<Buffer | undefined> {
    const header = readHeader(request);
    if (!header || header.flags.qr) {
      this.options.metrics?.malformed.inc({ action: 'drop' });
      return undefined;
    }
    let query: Message;
    try {
      query = decodeMessage(request);
    } catch (e) {
      // The decoder throws only DnsDecodeError; anything else is a bug, still answered FORMERR.
      if (!(e instanceof DnsDecodeError))
        this.options.log?.('error', 'decoder bug', { error: String(e) });
      this.options.metrics?.malformed.inc({ action: 'formerr' });
      return this.encodeSafely(this.reply(header, [], RCode.FORMERR), CLASSIC_UDP_SIZE);
    }
    try {
      return await this.answer(query, ctx);
    } catch (e) {
      this.options.log?.('error', 'query failed', {
        error: String(e),
        question: query.questions[0],
      });
      const msg = this.reply(query, query.questions.slice(0, 1), RCode.SERVFAIL, query.edns);
      return this.encodeSafely(msg, CLASSIC_UDP_SIZE);
    }
  }

  private async answer(query: Message, ctx: QueryContext): Promise<Buffer | undefined> {
    const started = performance.now();
    const q = query.questions[0];
    const edns = query.edns;
    const { resolver, forwarder, metrics } = this.options;
    const zone = q && resolver.owns(q.name) ? `${resolver.zoneName}.` : '.';
    const family = ctx.family === 6 ? '2' : '1';
    // Every request that got this far is counted, refused or not, as CoreDNS does.
    metrics?.requests.inc({
      zone,
      proto: ctx.proto,
      family,
      type: q ? typeLabel(q.type) : 'other',
    });
    const early = (questions: Question[], rcode: number): Buffer | undefined => {
      metrics?.responses.inc({ zone, rcode: rcodeName(rcode), plugin: '' });
      return this.respond(this.reply(query, questions, rcode, edns), ctx, edns);
    };
    if (query.flags.opcode !== Opcode.QUERY)
      return early(query.questions.slice(0, 1), RCode.NOTIMP);
    if (!q || query.questions.length !== 1) return early([], RCode.FORMERR);
    if (edns && edns.version > 0) return early([q], RCode.BADVERS);

    // Zone transfers are refused everywhere, not forwarded: we serve no zone to copy.
    const transfer = q.type === RRType.AXFR || q.type === RRType.IXFR;
    let res: Resolution | undefined = transfer ? refused() : resolver.resolve(q);
    let plugin = 'kubernetes';
    if (res?.chase && forwarder) {
      const chased = await forwarder.forward(res.chase, edns?.dnssecOk ?? false);
      if (chased.rcode === RCode.NOERROR) res.answers.push(...chased.answers);
    }
    const authoritative = res !== undefined;
    if (!res) {
      plugin = 'forward';
      res = forwarder ? await forwarder.forward(q, edns?.dnssecOk ?? false) : refused();
    }
    const { rcode, authorities, additionals } = res;
    const answers =
      this.options.loadBalance === false ? res.answers : shuffleAddresses(res.answers);
    const msg = this.reply(query, [q], rcode, edns, { answers, authorities, additionals });
    msg.flags.aa = authoritative && rcode !== RCode.SERVFAIL && rcode !== RCode.REFUSED;
    metrics?.responses.inc({ zone, rcode: rcodeName(rcode), plugin });
    const reply = this.respond(msg, ctx, edns);
    const seconds = (performance.now() - started) / 1000;
    metrics?.requestDuration.observe({ zone, type: typeLabel(q.type) }, seconds);
    return reply;
  }

  private respond(msg: Message, ctx: QueryContext, edns: Edns | undefined): Buffer | undefined {
    // Without EDNS a UDP reply must fit 512 bytes; with it, what the client says it can take.
    const limit =
      ctx.proto === 'tcp'
        ? MAX_MESSAGE_SIZE
        : edns
          ? Math.min(Math.max(edns.udpSize, CLASSIC_UDP_SIZE), MAX_UDP_SIZE)
          : CLASSIC_UDP_SIZE;
    return this.encodeSafely(msg, limit);
  }

  private encodeSafely(msg: Message, limit: number): Buffer | undefined {
    try {
      return encodeMessage(msg, limit);
    } catch (e) {
      this.options.log?.('error', 'could not encode a reply', { error: String(e) });
      return encodeMessage(this.reply(msg, [], RCode.SERVFAIL, msg.edns), limit);
    }
  }

  private reply(
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
      flags: { ...f, qr: true, aa: false, tc: false, ra: !!this.options.forwarder, ad: false },
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
