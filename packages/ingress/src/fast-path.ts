import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { decide, type Decision, type Forward } from './decide.js';
import type { EndpointBalancer } from './endpoints.js';
import { Exchange, type ExchangeClient } from './fast-exchange.js';
import { requestInfo } from './proxy-handler.js';
import type { ResolvedProxyOptions } from './proxy-options.js';
import { parseSimpleRequest } from './request-head.js';
import { writeRawResponse } from './respond.js';
import type { Router } from './router.js';
import { UpstreamPool } from './upstream-pool.js';

export interface FastPathOptions {
  maxHeaderSize: number;
  keepAliveTimeoutMs: number;
  /** Time a new connection has to deliver its first request head (then 408, as Node does). */
  headersTimeoutMs: number;
  /** Gives a connection (with any unread bytes pushed back onto it) to Node's HTTP server. */
  handOver: (socket: Socket) => void;
}

/**
 * Whether a decision is one the fast path serves itself. Mirrors, affinity cookies, HTTPS
 * backends, rate limits and request deadlines are left to the general handler (reached by
 * handing the connection to Node's HTTP server), which implements all of them.
 */
function servesFast(d: Decision): d is Forward {
  if (d.kind !== 'forward' || d.mirrors.length > 0) return false;
  const o = d.options;
  return (
    o.affinity === undefined &&
    o.backendTls !== true &&
    o.rateLimit === undefined &&
    !o.requestTimeoutMs &&
    !o.backendRequestTimeoutMs
  );
}

/**
 * The standalone server's fast path for plain HTTP/1.1: it reads request heads itself and
 * proxies over raw keep-alive sockets with a strict response parser, skipping Node's
 * IncomingMessage / ServerResponse / ClientRequest machinery, which costs most of a Node
 * proxy's CPU. It serves only what it fully understands (see parseSimpleRequest and
 * servesFast); at the first request it does not, the connection is handed to Node's HTTP
 * server and the general handler for good, so every strict rule of that path still applies.
 * Routing, X-Forwarded-*, header filters, retries, timeouts and the hooks are the same code as
 * the general handler's.
 */
export class FastPath {
  readonly pool = new UpstreamPool();
  private readonly connections = new Set<ClientConnection>();
  closing = false;

  constructor(
    readonly router: Router,
    readonly opts: ResolvedProxyOptions,
    readonly balancer: EndpointBalancer,
    readonly settings: FastPathOptions,
  ) {}

  accept(socket: Socket): void {
    this.connections.add(new ClientConnection(this, socket));
  }

  forget(c: ClientConnection): void {
    this.connections.delete(c);
  }

  /** After server.close(): finish what is in flight, then close; close idle connections now. */
  startClosing(): void {
    this.closing = true;
    this.closeIdle();
  }

  closeIdle(): void {
    for (const c of [...this.connections]) if (c.idle) c.socket.destroy();
    this.pool.closeIdle();
  }

  closeAll(): void {
    for (const c of [...this.connections]) c.socket.destroy();
    this.pool.closeIdle();
  }
}

/** One client connection while the fast path owns it. */
class ClientConnection implements ExchangeClient {
  private pending: Buffer | undefined;
  private exchange: Exchange | undefined;
  private inNext = false;
  private owned = true;
  private readonly onData = (d: Buffer): void => this.received(d);
  private readonly onClose = (): void => this.closed();
  private readonly onTimeout = (): void => {
    // An exchange has its own upstream timers; activity re-arms this one.
    if (this.exchange) return;
    if (this.served)
      this.socket.destroy(); // keep-alive idle timeout
    else writeRawResponse(this.socket, 408); // nothing came: the headers timeout
  };
  /** A request was served: the idle timer is now the keep-alive timeout. */
  private served = false;
  private readonly onDrain = (): void => this.exchange?.clientDrained();
  private readonly onError = (): void => undefined; // 'close' follows
  /** The client sent FIN: answer what it sent, then close (the server allows half-open). */
  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.exchange === undefined && this.pending === undefined) this.socket.end();
  };
  private ended = false;
  readonly localPort: number | undefined;
  readonly peer: string;

  constructor(
    readonly fast: FastPath,
    readonly socket: Socket,
  ) {
    this.localPort = socket.localPort;
    this.peer = socket.remoteAddress ?? '';
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.setTimeout(fast.settings.headersTimeoutMs);
  }

  get idle(): boolean {
    return this.exchange === undefined && this.pending === undefined;
  }

  private received(d: Buffer): void {
    this.pending = this.pending ? Buffer.concat([this.pending, d]) : d;
    if (this.exchange) {
      // Pipelined requests wait for the one in flight; stop reading if they pile up.
      if (this.pending.length > this.fast.settings.maxHeaderSize) this.socket.pause();
      return;
    }
    this.next();
  }

  /** Starts the next buffered request, or hands the connection over if it is not simple. */
  private next(): void {
    this.inNext = true;
    try {
      while (this.owned && !this.exchange && this.pending && !this.socket.destroyed) {
        const pending = this.pending;
        const req = parseSimpleRequest(pending, this.fast.settings.maxHeaderSize);
        if (!req) {
          this.handOver();
          return;
        }
        const { opts } = this.fast;
        const info = requestInfo(
          req.method,
          req.url,
          req.headers as IncomingHttpHeaders,
          { tls: false, localPort: this.localPort },
          1,
          opts.trustForwardedHeaders,
        );
        const d = decide(this.fast.router.table, info, opts.random);
        if (!servesFast(d)) {
          this.handOver();
          return;
        }
        this.pending = req.end < pending.length ? pending.subarray(req.end) : undefined;
        if (this.socket.isPaused()) this.socket.resume();
        const closeAfter = req.close || this.fast.closing;
        if (!this.served) {
          this.served = true;
          this.socket.setTimeout(this.fast.settings.keepAliveTimeoutMs);
        }
        this.exchange = new Exchange(this, req, info, d, closeAfter);
        this.exchange.start();
      }
    } catch (e) {
      // A bug must cost one connection, never the server.
      this.fast.opts.onEvent?.({
        level: 'error',
        msg: 'internal error',
        error: (e as Error).message,
      });
      this.socket.destroy();
    } finally {
      this.inNext = false;
    }
  }

  /** Called by the exchange when its response is complete (or the client is gone). */
  exchangeDone(closeAfter: boolean): void {
    this.exchange = undefined;
    if (closeAfter || this.fast.closing) {
      this.socket.end();
      return;
    }
    if (!this.inNext) this.next();
    if (this.ended && this.exchange === undefined && this.owned) this.socket.end();
  }

  /** Gives the connection, with its unread bytes, to Node's HTTP server for good. */
  private handOver(): void {
    this.owned = false;
    const socket = this.socket;
    socket.pause();
    socket.removeListener('data', this.onData);
    socket.removeListener('close', this.onClose);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('drain', this.onDrain);
    socket.removeListener('error', this.onError);
    socket.removeListener('end', this.onEnd);
    socket.setTimeout(0);
    this.fast.forget(this);
    if (this.pending) socket.unshift(this.pending);
    this.pending = undefined;
    this.fast.settings.handOver(socket);
    socket.resume();
  }

  private closed(): void {
    this.fast.forget(this);
    this.exchange?.clientGone();
    this.exchange = undefined;
  }
}
