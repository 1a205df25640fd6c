import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import type { Logger, QueryContext, QueryHandler } from './handler.js';
import { ipFamily } from './ip.js';

export interface UdpServerOptions {
  handler: QueryHandler;
  /** Address to bind; default "0.0.0.0". "::" binds both families. */
  host?: string;
  /** Port; 0 picks an ephemeral one. */
  port: number;
  log?: Logger;
}

export interface BoundServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves DNS over UDP: each datagram goes to the handler and its reply is sent back to the
 * sender. Nothing a client sends can throw out of here; socket errors are logged, never fatal.
 */
export function startUdpServer(options: UdpServerOptions): Promise<BoundServer> {
  const host = options.host ?? '0.0.0.0';
  const family = ipFamily(host) === 6 ? 6 : 4;
  let bound = false;
  const socket: Socket = createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    reuseAddr: false,
    // Once bound, every send goes to the literal address a datagram came from: skip dns.lookup
    // (and the tick it defers each send to). The host given to bind still gets resolved.
    lookup: (address, lookupOptions, callback) => {
      if (bound) callback(null, address, family);
      else dnsLookup(address, lookupOptions, callback);
    },
  });
  let closed = false;
  const { handler, log } = options;
  const send = (reply: Buffer, port: number, address: string): void => {
    // A forwarded answer can complete after close(); sending then would throw.
    if (closed) return;
    try {
      // No callback: a failed send is reported as a socket 'error' (logged below), and a
      // successful one costs no completion tick.
      socket.send(reply, port, address);
    } catch (e) {
      log?.('debug', 'udp send failed', { error: String(e) });
    }
  };
  socket.on('message', (msg, rinfo) => {
    const ctx: QueryContext = { proto: 'udp', family: rinfo.family === 'IPv6' ? 6 : 4 };
    // Cached replies and cluster names are answered right here; only forwarding waits.
    const reply = handler.handleNow(msg, ctx);
    if (reply instanceof Promise) {
      reply.then(
        (r) => r && send(r, rinfo.port, rinfo.address),
        (e: unknown) => log?.('error', 'udp handler failed', { error: String(e) }),
      );
    } else if (reply) {
      send(reply, rinfo.port, rinfo.address);
    }
  });

  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, host, () => {
      socket.off('error', reject);
      bound = true;
      socket.on('error', (e) => log?.('warn', 'udp socket error', { error: e.message }));
      try {
        // Bursts from many pods land at once; a larger receive buffer drops fewer of them.
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // the kernel may cap it (net.core.rmem_max); the default still works
      }
      const addr = socket.address();
      resolve({
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            closed = true;
            socket.close(() => done());
          }),
      });
    });
  });
}
