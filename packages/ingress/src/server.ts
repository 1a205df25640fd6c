import { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { FastPath } from './fast-path.js';
import { createProxyHandler } from './proxy-handler.js';
import { writeRawResponse } from './respond.js';
import {
  balancerFor,
  defaultAgent,
  resolveProxyOptions,
  type ProxyOptions,
} from './proxy-options.js';
import type { Router } from './router.js';
import type { TlsStore } from './tls-store.js';
import { createUpgradeHandler } from './upgrade-handler.js';

export interface IngressServerOptions extends ProxyOptions {
  /** Serve HTTPS with SNI from this store instead of plain HTTP. */
  tls?: TlsStore;
  /** Time allowed to receive the request headers (slowloris); default 20 s. */
  headersTimeoutMs?: number;
  /** Time allowed to receive the whole request; default 60 s. */
  requestTimeoutMs?: number;
  /** Idle time between keep-alive requests; default 60 s. */
  keepAliveTimeoutMs?: number;
  /** Largest request head in bytes (431 above it); default 16 KiB. */
  maxHeaderSize?: number;
  /**
   * Serve plain, bodyless HTTP/1.1 requests on a fast path (raw sockets both ways, see
   * FastPath); default true. Everything else, and HTTPS, always takes Node's HTTP server.
   */
  fastPath?: boolean;
}

/**
 * Node's HTTP server with the fast path in front: new connections go to the fast path, which
 * hands them to Node's own connection handling when it meets a request it does not serve.
 * close() / closeIdleConnections() / closeAllConnections() cover the fast path's connections
 * too.
 */
class IngressHttpServer extends HttpServer {
  fast: FastPath | undefined;

  override close(callback?: (err?: Error) => void): this {
    this.fast?.startClosing();
    return super.close(callback);
  }

  override closeIdleConnections(): void {
    this.fast?.closeIdle();
    super.closeIdleConnections();
  }

  override closeAllConnections(): void {
    this.fast?.closeAll();
    super.closeAllConnections();
  }
}

/** Status for a request the HTTP parser refused, by Node's error code. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/**
 * A Node HTTP (or HTTPS with SNI) server with the proxy handlers attached and the limits a
 * public-facing proxy needs: header/request timeouts, header size (431), strict parsing (no
 * lenient framing: conflicting Content-Length/Transfer-Encoding is a 400).
 */
export function createIngressServer(
  router: Router,
  options: IngressServerOptions,
): HttpServer | HttpsServer {
  const common = {
    headersTimeout: options.headersTimeoutMs ?? 20_000,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    // Check the two timeouts often enough that they fire close to their value.
    connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs ?? 1000),
    insecureHTTPParser: false,
  };
  // One upstream pool for both handlers.
  const proxyOptions: ProxyOptions = { ...options, agent: options.agent ?? defaultAgent() };
  const handler = createProxyHandler(router, proxyOptions);
  const server = options.tls
    ? createHttpsServer({ ...common, SNICallback: options.tls.sniCallback }, handler)
    : new IngressHttpServer(common, handler);
  if (options.tls) options.tls.attach(server as HttpsServer);
  else if (options.fastPath !== false)
    attachFastPath(server as IngressHttpServer, router, proxyOptions, common);
  server.on('upgrade', createUpgradeHandler(router, proxyOptions));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    writeRawResponse(socket, clientErrorStatus(err.code));
  });
  return server;
}

/** Puts the fast path in front of the server's own 'connection' handling. */
function attachFastPath(
  server: IngressHttpServer,
  router: Router,
  options: ProxyOptions,
  limits: { maxHeaderSize: number; keepAliveTimeout: number; headersTimeout: number },
): void {
  const [nodeConnection, ...others] = server.listeners('connection') as ((
    socket: Socket,
  ) => void)[];
  // Node's server registers exactly one listener; anything else and we stay out of the way.
  if (!nodeConnection || others.length > 0) return;
  const opts = resolveProxyOptions(options);
  server.fast = new FastPath(router, opts, balancerFor(opts), {
    maxHeaderSize: limits.maxHeaderSize,
    keepAliveTimeoutMs: limits.keepAliveTimeout,
    headersTimeoutMs: limits.headersTimeout,
    handOver: (socket) => nodeConnection.call(server, socket),
  });
  const fast = server.fast;
  server.removeListener('connection', nodeConnection);
  server.on('connection', (socket: Socket) => fast.accept(socket));
}
