import { createServer, type Socket } from 'node:net';
import type { Logger, QueryContext, QueryHandler } from './handler.js';
import type { BoundServer } from './udp-server.js';

export interface TcpServerOptions {
  handler: QueryHandler;
  host?: string;
  port: number;
  /** Close a connection with no query for this long. Default 10 s (RFC 7766 6.2.3). */
  idleTimeoutMs?: number;
  /**
   * Queries answered concurrently per connection before we stop reading it (also paused while
   * the client is not reading our replies). Default 64.
   */
  maxPipelined?: number;
  /** Open connections at most; more are refused by closing them. Default 1000. */
  maxConnections?: number;
  log?: Logger;
}

/**
 * Serves DNS over TCP with 2-byte length framing: several queries per connection, pipelined and
 * answered as they complete (RFC 7766 6.2.1.1), until the client closes or goes idle.
 */
export function startTcpServer(options: TcpServerOptions): Promise<BoundServer> {
  const idle = options.idleTimeoutMs ?? 10_000;
  const maxPipelined = options.maxPipelined ?? 64;
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, options, idle, maxPipelined);
  });
  server.maxConnections = options.maxConnections ?? 1000;
  server.on('error', (e) => options.log?.('warn', 'tcp server error', { error: e.message }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      const addr = server.address();
      if (!addr || typeof addr === 'string') return reject(new Error('tcp server has no address'));
      resolve({
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function serveConnection(
  socket: Socket,
  options: TcpServerOptions,
  idleMs: number,
  maxPipelined: number,
): void {
  let buffered: Buffer = Buffer.alloc(0);
  let pending = 0;
  let ended = false;
  const ctx: QueryContext = { proto: 'tcp', family: socket.remoteFamily === 'IPv6' ? 6 : 4 };
  socket.setNoDelay(true);
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('error', (e) => options.log?.('debug', 'tcp connection error', { error: e.message }));
  const finishIfDone = (): void => {
    if (ended && pending === 0 && !socket.destroyed) socket.end();
  };
  socket.on('end', () => {
    ended = true;
    finishIfDone();
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 2) {
      const len = buffered.readUInt16BE(0);
      if (len === 0) {
        // A zero-length frame cannot be a DNS message; the stream is no longer trustworthy.
        socket.destroy();
        return;
      }
      if (buffered.length < 2 + len) break;
      const msg = Buffer.from(buffered.subarray(2, 2 + len));
      buffered = buffered.subarray(2 + len);
      pending++;
      if (!canRead()) socket.pause();
      // Cached replies and cluster names come back at once; only forwarding waits.
      const reply = options.handler.handleNow(msg, ctx);
      if (reply instanceof Promise) {
        reply.then(
          (r) => {
            write(r);
            done();
          },
          (e: unknown) => {
            options.log?.('error', 'tcp handler failed', { error: String(e) });
            done();
          },
        );
      } else {
        write(reply);
        done();
      }
    }
  });
  socket.on('drain', resumeIfAble);
  function write(reply: Buffer | undefined): void {
    if (!reply || socket.destroyed) return;
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    // A client that sends but does not read fills our send buffer: stop reading it.
    if (!socket.write(frame)) socket.pause();
  }
  function canRead(): boolean {
    return pending < maxPipelined && !socket.writableNeedDrain;
  }
  function resumeIfAble(): void {
    if (socket.isPaused() && canRead()) socket.resume();
  }
  function done(): void {
    pending--;
    resumeIfAble();
    finishIfDone();
  }
}
