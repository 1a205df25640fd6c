import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Forward, IncomingInfo } from './decide.js';
import type { Endpoint } from './endpoints.js';
import { UpstreamProtocolError } from './errors.js';
import type { FastPath } from './fast-path.js';
import { CONNECT_ERRORS, UpstreamError } from './forward.js';
import { applyHeaderModifier, HOP_BY_HOP } from './headers.js';
import { dateHeaderLine, fieldLine, headerLines, requestLine, statusLine } from './http-text.js';
import { upstreamHeaders } from './proxy-handler.js';
import type { SimpleRequest } from './request-head.js';
import {
  CONTENT_LENGTH,
  DATE,
  HOP,
  type ResponseHead,
  type ResponseSink,
} from './response-parser.js';
import type { UpstreamConnection, UpstreamUser } from './upstream-pool.js';

/** What an exchange needs from the client connection it answers on. */
export interface ExchangeClient {
  readonly fast: FastPath;
  readonly socket: Socket;
  /** The client's address (X-Forwarded-For, X-Real-IP). */
  readonly peer: string;
  /** The response is complete or the client is gone; `closeAfter`: end the connection. */
  exchangeDone(closeAfter: boolean): void;
}

const NO_ENDPOINTS_TRIED: ReadonlySet<string> = new Set();
/** The fields we set on every upstream request (an untrusted client's are replaced). */
const FORWARDED: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-real-ip',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
]);
/** Bodies up to this size are written together with the head as one string. */
const SMALL_BODY = 4096;

/** Closes an upstream connection whose exchange is over, so its last events reach nobody. */
function abandon(up: UpstreamConnection): void {
  up.user = undefined;
  up.socket.destroy();
}

/**
 * The upstream request head in the usual case (no request header filters, the client's
 * X-Forwarded-* not trusted), written straight from the parsed request: the fields
 * upstreamHeaders gives, with the X-Forwarded-* ones last, without an intermediate header
 * object. parseSimpleRequest has checked the client's names and values.
 */
function plainUpstreamHead(
  req: SimpleRequest,
  info: IncomingInfo,
  d: Forward,
  peer: string,
): string {
  const h = req.headers;
  let head = requestLine(req.method, d.path);
  // Connection is absent, `keep-alive` or `close`: a field of that name is dropped with it.
  const named = h.connection?.toLowerCase();
  for (const k in h) {
    if (HOP_BY_HOP.has(k) || FORWARDED.has(k) || k === named) continue;
    if (k === 'host' && d.host !== h.host) head += fieldLine('host', d.host ?? '');
    else head += `${k}: ${h[k] as string}\r\n`;
  }
  return `${head}x-forwarded-for: ${peer}\r\nx-real-ip: ${peer}\r\nx-forwarded-proto: ${info.scheme}\r\nx-forwarded-host: ${h.host as string}\r\nx-forwarded-port: ${info.localPort}\r\n\r\n`;
}

/** One request on the fast path: pick an endpoint, send the head, relay the response. */
export class Exchange implements UpstreamUser, ResponseSink {
  /** When it started (performance.now()), only taken for onResponse. */
  private started = 0;
  private attempt = 0;
  private tried: Set<string> | undefined;
  private lastError: Error | undefined;
  private upstream: UpstreamConnection | undefined;
  private endpoint: Endpoint | undefined;
  private head = '';
  private gotBytes = false;
  private headSent = false;
  /** The response head, held back within one read so a small body can go out in one write. */
  private heldHead: string | undefined;
  private chunked = false;
  private keepAlive = false;
  private waitingDrain = false;
  /** The client socket is corked for the rest of the current upstream read. */
  private corked = false;
  private finished = false;
  private status = 0;

  constructor(
    private readonly conn: ExchangeClient,
    private readonly req: SimpleRequest,
    private readonly info: IncomingInfo,
    private readonly d: Forward,
    private readonly closeAfter: boolean,
  ) {}

  start(): void {
    const { opts } = this.conn.fast;
    if (opts.onResponse) this.started = performance.now();
    const d = this.d;
    try {
      if (!opts.trustForwardedHeaders && d.requestHeaders.every((m) => m === undefined))
        this.head = plainUpstreamHead(this.req, this.info, d, this.conn.peer);
      else {
        const headers = upstreamHeaders(this.conn.peer, this.info, d, opts);
        this.head = `${requestLine(this.req.method, d.path)}${headerLines(headers)}\r\n`;
      }
    } catch (e) {
      // A rewrite or header filter produced something that cannot go on the wire.
      this.fail(500, 'invalid upstream request', e as Error);
      return;
    }
    this.send();
  }

  private send(): void {
    const { fast } = this.conn;
    const ep = fast.balancer.next(this.d.service, this.tried ?? NO_ENDPOINTS_TRIED);
    if (!ep) {
      const last = this.lastError;
      if (this.attempt === 0) this.fail(503, 'no ready endpoints');
      else
        this.fail(
          last instanceof UpstreamError ? last.status : 502,
          last?.message ?? 'upstream failed',
          last,
        );
      return;
    }
    this.endpoint = ep;
    this.gotBytes = false;
    const o = this.d.options;
    let up: UpstreamConnection;
    try {
      up = fast.pool.acquire(ep, this, o.connectTimeoutMs ?? fast.opts.connectTimeoutMs);
    } catch (e) {
      // net refuses some endpoints synchronously (a port out of range); this may run from a
      // retry inside a socket event, where a throw would take the process down.
      this.fail(500, 'invalid upstream endpoint', e as Error);
      return;
    }
    this.upstream = up;
    up.parser.expect(this, this.req.method === 'HEAD');
    if (up.connected) this.readTimeout(up);
    up.socket.write(this.head, 'latin1');
  }

  onConnect(): void {
    if (this.upstream) this.readTimeout(this.upstream);
  }

  /** Arms the read (idle) timeout; usually already set from the connection's last request. */
  private readTimeout(up: UpstreamConnection): void {
    const ms = this.d.options.readTimeoutMs ?? this.conn.fast.opts.readTimeoutMs;
    if (up.socket.timeout !== ms) up.socket.setTimeout(ms);
  }

  onData(buf: Buffer, length: number): void {
    const up = this.upstream;
    if (!up) return;
    this.gotBytes = true;
    const client = this.conn.socket;
    try {
      up.parser.execute(buf, length);
    } catch (e) {
      this.upstreamFailed(e as Error);
    } finally {
      this.flushHead();
      if (this.corked) {
        this.corked = false;
        client.uncork();
      }
      // A body slice still queued for the client points into the connection's read buffer.
      if (client.writableLength > 0) up.pinned = true;
    }
  }

  onTimeout(): void {
    const up = this.upstream;
    if (!up) return;
    this.upstreamFailed(new UpstreamError(up.connected ? 'read timeout' : 'connect timeout', 504));
  }

  onClosed(error: Error | undefined): void {
    const up = this.upstream;
    if (this.finished || !up) return;
    if (!error && up.parser.untilClose) {
      try {
        up.parser.finish();
      } catch (e) {
        this.upstreamFailed(e as Error);
      }
      return;
    }
    this.upstreamFailed(
      error ?? new UpstreamProtocolError('upstream closed before the response ended'),
    );
  }

  /**
   * The upstream connection failed. Before any response byte went to the client, idempotent
   * requests (all the fast path serves) are retried on a connect failure or on a reused
   * connection that broke before answering; otherwise the client gets the error's status, or
   * its connection is closed if the response had started.
   */
  private upstreamFailed(err: Error): void {
    const up = this.upstream;
    this.upstream = undefined;
    if (up) abandon(up);
    if (this.finished) return;
    if (this.headSent) {
      this.heldHead = undefined;
      this.conn.socket.destroy();
      this.finish(false);
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const connectFailed = up !== undefined && (!up.connected || CONNECT_ERRORS.has(code));
    const stale = up !== undefined && up.reused && !this.gotBytes;
    const ep = this.endpoint;
    if ((connectFailed || stale) && ep && this.attempt < this.conn.fast.opts.retries) {
      this.attempt++;
      this.lastError = err;
      this.tried ??= new Set();
      // A pooled connection the backend had just closed says nothing about the endpoint itself.
      if (connectFailed) this.tried.add(`${ep.address}:${ep.port}`);
      this.send();
      return;
    }
    const status =
      err instanceof UpstreamError || err instanceof UpstreamProtocolError ? err.status : 502;
    this.fail(status, err.message, err);
  }

  onHead(h: ResponseHead): void {
    if (this.finished) return;
    let head: string;
    try {
      head = this.responseHead(h);
    } catch (e) {
      // A response header filter produced something that cannot go on the wire.
      this.upstreamFailed(
        new UpstreamProtocolError(`invalid response headers: ${(e as Error).message}`),
      );
      return;
    }
    this.status = h.status;
    this.keepAlive = h.keepAlive;
    this.chunked = h.framing === 'chunked' || h.framing === 'close';
    this.headSent = true;
    this.heldHead = head;
  }

  /** The client's response head: the upstream's end-to-end headers, filters, our framing. */
  private responseHead(h: ResponseHead): string {
    const d = this.d;
    const filtered =
      d.responseHeaders.some((m) => m !== undefined) ||
      Object.keys(d.extraResponseHeaders).length > 0;
    let head = statusLine(h.status);
    let hasDate = false;
    if (filtered) {
      // The same object shape Node gives the general handler, so filters behave identically.
      const out: OutgoingHttpHeaders = {};
      let length: string | undefined;
      for (let i = 0; i < h.count; i++) {
        const flags = h.flags(i);
        if (flags & HOP) continue;
        const k = h.name(i).toLowerCase();
        const v = h.value(i);
        if (flags & CONTENT_LENGTH) length = v;
        const cur = out[k];
        if (cur === undefined) out[k] = k === 'set-cookie' ? [v] : v;
        else if (Array.isArray(cur)) cur.push(v);
        else out[k] = `${String(cur)}, ${v}`;
      }
      for (const m of d.responseHeaders) applyHeaderModifier(out, m);
      Object.assign(out, d.extraResponseHeaders);
      // Framing is ours to write: a filter must not be able to desynchronise the connection.
      for (const k of HOP_BY_HOP) delete out[k];
      if (length === undefined) delete out['content-length'];
      else out['content-length'] = length;
      hasDate = out.date !== undefined;
      head += headerLines(out);
    } else {
      // The end-to-end lines as they came (the parser checked them), skipping hop-by-hop ones.
      const text = h.text;
      let from = h.count > 0 ? h.lineStart(0) : text.length;
      for (let i = 0; i < h.count; i++) {
        const flags = h.flags(i);
        if (flags & DATE) hasDate = true;
        else if (flags & HOP) {
          head += text.slice(from, h.lineStart(i));
          from = h.lineEnd(i) + 2;
        }
      }
      head += text.slice(from);
    }
    if (!hasDate) head += dateHeaderLine();
    if (h.framing === 'chunked' || h.framing === 'close') head += 'Transfer-Encoding: chunked\r\n';
    if (this.closeAfter || this.conn.fast.closing) head += 'Connection: close\r\n';
    return `${head}\r\n`;
  }

  private flushHead(): void {
    if (this.heldHead === undefined) return;
    this.conn.socket.write(this.heldHead, 'latin1');
    this.heldHead = undefined;
  }

  onBody(buf: Buffer, start: number, end: number): void {
    if (this.finished || end === start) return;
    const client = this.conn.socket;
    const head = this.heldHead;
    if (head !== undefined && !this.chunked && end - start <= SMALL_BODY) {
      // The usual small response: head and body in one string, one write, no writev.
      this.heldHead = undefined;
      client.write(head + buf.toString('latin1', start, end), 'latin1');
      return;
    }
    const data = buf.subarray(start, end);
    // More than one write: they leave together when this read is done (see onData).
    if (!this.corked) {
      this.corked = true;
      client.cork();
    }
    this.flushHead();
    let ok: boolean;
    if (this.chunked) {
      client.write(`${data.length.toString(16)}\r\n`, 'latin1');
      client.write(data);
      ok = client.write('\r\n', 'latin1');
    } else ok = client.write(data);
    if (!ok && !this.waitingDrain) {
      // A slow reader: stop reading the backend until the client catches up.
      this.waitingDrain = true;
      this.upstream?.socket.pause();
    }
  }

  clientDrained(): void {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    this.upstream?.socket.resume();
  }

  onEnd(clean: boolean): void {
    if (this.finished) return;
    this.flushHead();
    if (this.chunked) this.conn.socket.write('0\r\n\r\n', 'latin1');
    const up = this.upstream;
    this.upstream = undefined;
    if (up) {
      if (this.keepAlive && clean) this.conn.fast.pool.release(up);
      else abandon(up);
    }
    this.finish(true);
  }

  /** Answers locally with an error status (the same text body as the general handler). */
  private fail(status: number, reason: string, error?: Error): void {
    const { opts } = this.conn.fast;
    opts.onEvent?.({
      level: status >= 500 ? 'error' : 'warn',
      msg: reason,
      status,
      method: this.req.method,
      path: this.req.url,
      host: this.req.headers.host,
      error: error?.message,
    });
    this.status = status;
    const body = `${statusLine(status).slice(9, -2)}\n`;
    const close = this.closeAfter || this.conn.fast.closing;
    this.conn.socket.write(
      `${statusLine(status)}content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${dateHeaderLine()}${close ? 'Connection: close\r\n' : ''}\r\n${body}`,
      'latin1',
    );
    this.finish(true);
  }

  /** The client connection closed before the exchange finished. */
  clientGone(): void {
    if (this.finished) return;
    const up = this.upstream;
    this.upstream = undefined;
    if (up) abandon(up);
    this.finish(false, false);
  }

  private finish(completed: boolean, notify = true): void {
    this.finished = true;
    const { opts } = this.conn.fast;
    if (opts.onResponse) {
      const ep = this.headSent ? this.endpoint : undefined;
      opts.onResponse({
        method: this.req.method,
        host: this.req.headers.host,
        url: this.req.url,
        status: this.status,
        route: this.d.route,
        ...(ep === undefined ? {} : { upstream: `${ep.address}:${ep.port}` }),
        durationMs: performance.now() - this.started,
        completed,
      });
    }
    if (notify) this.conn.exchangeDone(this.closeAfter);
  }
}
