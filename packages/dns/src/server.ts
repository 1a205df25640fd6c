import type { Logger, QueryHandler } from './handler.js';
import { startTcpServer, type TcpServerOptions } from './tcp-server.js';
import { startUdpServer, type BoundServer } from './udp-server.js';

export interface DnsServerOptions {
  handler: QueryHandler;
  host?: string;
  /** Port for both UDP and TCP; 0 picks one free ephemeral port for both. */
  port: number;
  tcp?: Pick<TcpServerOptions, 'idleTimeoutMs' | 'maxPipelined' | 'maxConnections'>;
  log?: Logger;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  readonly udp: BoundServer;
  readonly tcp: BoundServer;
  close(): Promise<void>;
}

/** Starts UDP and TCP listeners on the same port (with port 0, retrying until both get one). */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const { handler, host, log } = options;
  for (let attempt = 0; ; attempt++) {
    const udp = await startUdpServer({ handler, host, port: options.port, log });
    try {
      const tcp = await startTcpServer({ handler, host, port: udp.port, log, ...options.tcp });
      return {
        host: udp.host,
        port: udp.port,
        udp,
        tcp,
        close: async () => {
          await Promise.all([udp.close(), tcp.close()]);
        },
      };
    } catch (e) {
      await udp.close();
      const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (options.port !== 0 || !inUse || attempt >= 10) throw e;
    }
  }
}
