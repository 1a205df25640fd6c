import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from './logger.js';
import { Registry } from './metrics.js';

/** A named health check: true (or resolving true) is healthy; false, a throw or a timeout is not. */
export type HealthCheck = () => boolean | Promise<boolean>;

export interface HealthServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1; use 0.0.0.0 (or ::) for probes from outside the pod/namespace. */
  host?: string;
  registry?: Registry;
  /** Checks behind /healthz; all must pass. */
  liveness?: Record<string, HealthCheck>;
  /** Checks behind /readyz (e.g. every informer synced); all must pass. */
  readiness?: Record<string, HealthCheck>;
  /** A check that has not answered after this long fails; default 2 s. */
  checkTimeoutMs?: number;
  logger?: Logger;
}

export interface HealthServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * One HTTP server for `/healthz`, `/readyz` (200 `ok` or 503 with one `[+]name ok` /
 * `[-]name failed` line per check, as the apiserver's own endpoints; `?verbose` lists them on
 * success too) and `/metrics` (Prometheus text format 0.0.4). GET and HEAD only.
 */
export async function startHealthServer(opts: HealthServerOptions = {}): Promise<HealthServer> {
  const registry = opts.registry ?? new Registry();
  const log = opts.logger ?? silentLogger;
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', {
        Allow: 'GET, HEAD',
      });
    }
    if (url.pathname === '/metrics') {
      return send(res, 200, Registry.contentType, registry.render());
    }
    const checks =
      url.pathname === '/healthz'
        ? opts.liveness
        : url.pathname === '/readyz'
          ? opts.readiness
          : null;
    if (checks === null) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    const results = await Promise.all(
      Object.entries(checks ?? {}).map(
        async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const ok = results.every(([, r]) => r === true);
    const lines = results.map(([name, r]) =>
      r === true ? `[+]${name} ok` : `[-]${name} failed: ${r}`,
    );
    const verbose = url.searchParams.has('verbose') || !ok;
    const what = url.pathname.slice(1);
    const body = verbose
      ? `${lines.join('\n')}\n${what} check ${ok ? 'passed' : 'failed'}\n`
      : 'ok\n';
    send(res, ok ? 200 : 503, 'text/plain; charset=utf-8', body);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error('health server request failed', { error: e, path: req.url });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error('health server error', { error: e }));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    port: addr.port,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** true, or why the check failed. */
async function runCheck(check: HealthCheck, timeoutMs: number): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      }),
    ]);
    if (typeof result === 'string') return result;
    return result === true ? true : 'not ready';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(timer);
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
