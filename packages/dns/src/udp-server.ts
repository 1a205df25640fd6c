import { createSocket, type Socket } from 'node:dgram';
import type { Logger, QueryHandler } from './handler.js';
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
  const socket: Socket = createSocket({
    type: ipFamily(host) === 6 ? 'udp6' : 'udp4',
    reuseAddr: false,
  });
  let closed = false;
  const send = (reply: Buffer, port: number, address: string): void => {
    // A forwarded answer can complete after close(); sending then would throw.
    if (closed) return;
    try {
      socket.send(reply, port, address, (e) => {
        if (e) options.log?.('debug', 'udp send failed', { error: e.message });
      });
    } catch (e) {
      options.log?.('debug', 'udp send failed', { error: String(e) });
    }
  };
  socket.on('message', (msg, rinfo) => {
    const family = rinfo.family === 'IPv6' ? 6 : 4;
    options.handler.handle(msg, { proto: 'udp', family }).then(
      (reply) => reply && send(reply, rinfo.port, rinfo.address),
      (e: unknown) => options.log?.('error', 'udp handler failed', { error: String(e) }),
    );
  });

  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, host, () => {
      socket.off('error', reject);
      socket.on('error', (e) => options.log?.('warn', 'udp socket error', { error: e.message }));
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
