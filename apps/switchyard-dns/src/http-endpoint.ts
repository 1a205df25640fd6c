import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReply {
  status: number;
  body: string;
  contentType?: string;
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * One path on its own port, as CoreDNS serves `/health` (8080), `/ready` (8181) and `/metrics`
 * (9153) from separate listeners. GET and HEAD only; other paths 404. A throwing `reply` is a 500,
 * never a crash.
 */
export async function startHttpEndpoint(
  host: string,
  port: number,
  path: string,
  reply: () => HttpReply,
): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    let r: HttpReply;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      r = { status: 405, body: 'method not allowed\n' };
      res.setHeader('Allow', 'GET, HEAD');
    } else if (url.pathname !== path) {
      r = { status: 404, body: 'not found\n' };
    } else {
      try {
        r = reply();
      } catch (e) {
        r = { status: 500, body: `${String(e)}\n` };
      }
    }
    res.writeHead(r.status, { 'Content-Type': r.contentType ?? 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : r.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
