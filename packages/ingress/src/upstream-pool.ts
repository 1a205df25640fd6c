import { connect, type Socket } from 'node:net';
import type { Endpoint } from './endpoints.js';
import { ResponseParser } from './response-parser.js';

/** The exchange currently using a connection; it hears everything that happens to the socket. */
export interface UpstreamUser {
  onConnect(): void;
  /** buf[0..length) arrived; only valid during the call. */
  onData(buf: Buffer, length: number): void;
  onTimeout(): void;
  /** The socket closed while in use; `error` if it failed (reset, refused, ...). */
  onClosed(error: Error | undefined): void;
}

/** Bytes read from an upstream connection at a time. */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * One keep-alive TCP connection to an endpoint with its response parser. Its listeners are
 * attached once and dispatch to whichever exchange holds it, so reusing it costs no
 * per-request listener churn. Reads go into the connection's own buffer (net's `onread`)
 * instead of a fresh Buffer and a stream 'data' event per read; whoever keeps a slice of it
 * beyond the read (a client write still queued) sets `pinned`, and the next read gets a new
 * buffer.
 */
export class UpstreamConnection {
  readonly parser = new ResponseParser();
  /** A slice of the current read buffer is still referenced: do not read into it again. */
  pinned = false;
  private buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  user: UpstreamUser | undefined;
  /** It served a request before this one (a reset before any byte may just be a stale socket). */
  reused = false;
  connected = false;
  /** The pool's clock tick when it was last put back in the pool. */
  idleSince = 0;
  private error: Error | undefined;

  readonly socket: Socket;

  constructor(
    readonly endpoint: Endpoint,
    pool: UpstreamPool,
  ) {
    const ep = endpoint;
    const socket = connect({
      host: ep.address,
      port: ep.port,
      noDelay: true,
      onread: {
        buffer: () => this.readBuffer(),
        callback: (n: number, buf: Uint8Array): boolean => {
          // Bytes on an idle connection answer nothing we asked: it cannot be trusted any more.
          if (this.user) this.user.onData(buf as Buffer, n);
          else socket.destroy();
          return true; // keep reading (backpressure pauses the socket explicitly)
        },
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.user?.onConnect();
    });
    socket.on('timeout', () => {
      if (this.user) this.user.onTimeout();
      else socket.destroy();
    });
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => {
      pool.forget(this);
      const user = this.user;
      this.user = undefined;
      user?.onClosed(this.error);
    });
  }

  private readBuffer(): Buffer {
    if (this.pinned) {
      this.buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      this.pinned = false;
    }
    return this.buffer;
  }
}

/**
 * Idle keep-alive connections per endpoint, most recently used first (the same policy as the
 * proxy's http.Agent): idle ones are closed after `idleMs`, below the 5 s Node backends use,
 * so a reused connection is rarely one the backend is just closing. One sweep timer keeps the
 * idle limit with a coarse clock (ticks of at least 100 ms, about idleMs / 8), so handing a
 * connection out and back costs no timer changes and no clock reads. Lists are kept by address,
 * then port: no key string is built per request.
 */
export class UpstreamPool {
  private readonly idle = new Map<string, Map<number, UpstreamConnection[]>>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  /** How many ticks a connection may stay idle. */
  private readonly idleTicks: number;
  private tick = 0;

  constructor(
    idleMs = 4000,
    private readonly maxIdlePerEndpoint = 256,
  ) {
    this.tickMs = Math.max(100, idleMs / 8);
    this.idleTicks = Math.max(1, Math.floor(idleMs / this.tickMs));
  }

  private list(ep: Endpoint): UpstreamConnection[] | undefined {
    return this.idle.get(ep.address)?.get(ep.port);
  }

  /** An idle connection to `ep` or a new one (connecting, with `connectMs` as its timeout). */
  acquire(ep: Endpoint, user: UpstreamUser, connectMs: number): UpstreamConnection {
    const list = this.list(ep);
    for (let conn = list?.pop(); conn; conn = list?.pop()) {
      if (this.tick - conn.idleSince >= this.idleTicks) {
        conn.socket.destroy();
        continue;
      }
      conn.reused = true;
      conn.user = user;
      return conn;
    }
    const fresh = new UpstreamConnection(ep, this);
    fresh.socket.setTimeout(connectMs);
    fresh.user = user;
    return fresh;
  }

  /** Puts a connection whose response is complete back for reuse. */
  release(conn: UpstreamConnection): void {
    conn.user = undefined;
    const socket = conn.socket;
    if (socket.destroyed) return;
    const { address, port } = conn.endpoint;
    let ports = this.idle.get(address);
    if (!ports) {
      ports = new Map();
      this.idle.set(address, ports);
    }
    let list = ports.get(port);
    if (!list) {
      list = [];
      ports.set(port, list);
    }
    if (list.length >= this.maxIdlePerEndpoint) {
      socket.destroy();
      return;
    }
    if (socket.isPaused()) socket.resume();
    conn.idleSince = this.tick;
    list.push(conn);
    this.sweeper ??= setInterval(() => this.sweep(), this.tickMs).unref();
  }

  /** Closes connections idle for idleTicks; stops when nothing is idle. */
  private sweep(): void {
    this.tick++;
    const expired: UpstreamConnection[] = [];
    for (const ports of this.idle.values()) {
      for (const list of ports.values()) {
        // Oldest first: the lists are used from the end.
        for (const c of list) {
          if (this.tick - c.idleSince < this.idleTicks) break;
          expired.push(c);
        }
      }
    }
    for (const c of expired) c.socket.destroy();
    if (this.idle.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Drops a closed connection from the idle lists. */
  forget(conn: UpstreamConnection): void {
    const { address, port } = conn.endpoint;
    const ports = this.idle.get(address);
    const list = ports?.get(port);
    if (!ports || !list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) ports.delete(port);
    if (ports.size === 0) this.idle.delete(address);
  }

  /** Closes every idle connection (server shutdown). */
  closeIdle(): void {
    const all: UpstreamConnection[] = [];
    for (const ports of this.idle.values()) for (const list of ports.values()) all.push(...list);
    for (const c of all) c.socket.destroy();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
