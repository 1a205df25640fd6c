import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '@switchyard/kube';
import {
  ShimProtocolError,
  decodeRequest,
  encodeResponse,
  type ShimRequest,
  type ShimResponse,
} from './shim-protocol.js';

/** A shim has this long to send its whole request (it is a few kilobytes, sent at once). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface CniServerOptions {
  path: string;
  serve: (req: ShimRequest) => Promise<ShimResponse>;
  logger: Logger;
}

/**
 * The unix socket the shim talks to. Connections are served concurrently; a malformed or stalled
 * request closes its connection without an answer (the shim then reports "try again", code 11)
 * and never affects the server. The socket is root-only (0600 in a 0700 directory): a caller
 * names the namespaces it acts in, so only the runtime's plugin processes may connect.
 */
export class CniServer {
  private readonly connections = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(opts: CniServerOptions): Promise<CniServer> {
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    // The agent holds the store lock before it listens, so no other agent is using this path.
    try {
      unlinkSync(opts.path);
    } catch {
      // Not there.
    }
    // The shim half-closes after its request; the answer still has to go back.
    const server = createServer({ allowHalfOpen: true });
    const cni = new CniServer(server, opts.path);
    server.on('connection', (socket) => cni.accept(socket, opts));
    server.on('error', (e) => opts.logger.error('cni socket error', { error: e }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: opts.path, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(opts.path, 0o600);
    return cni;
  }

  /** Listening, and the socket file is still there (the shim finds the agent by that path). */
  get healthy(): boolean {
    return this.server.listening && existsSync(this.path);
  }

  /**
   * Stops accepting and removes the socket file (new calls go to the standalone plugin), then
   * lets the calls in progress finish for up to `graceMs` before cutting them off.
   */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already removed.
    }
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of this.connections) s.destroy();
    await closed;
  }

  private accept(socket: Socket, opts: CniServerOptions): void {
    this.connections.add(socket);
    let received = Buffer.alloc(0);
    let started = false;
    const timer = setTimeout(() => socket.destroy(), REQUEST_TIMEOUT_MS);
    socket.on('close', () => {
      clearTimeout(timer);
      this.connections.delete(socket);
    });
    socket.on('error', () => undefined);
    // The shim half-closes after a complete request; an end before that can never complete.
    socket.on('end', () => {
      if (!started) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      if (started) return;
      received = Buffer.concat([received, chunk]);
      let req: ShimRequest | undefined;
      try {
        req = decodeRequest(received);
      } catch (e) {
        opts.logger.warn('bad request on the cni socket', {
          error: e instanceof ShimProtocolError ? e.message : String(e),
        });
        socket.destroy();
        return;
      }
      if (!req) return;
      started = true;
      clearTimeout(timer);
      opts.serve(req).then(
        (res) => socket.end(encodeResponse(res)),
        (e: unknown) => {
          opts.logger.error('cni call failed outside the plugin skeleton', { error: e });
          socket.destroy();
        },
      );
    });
  }
}
