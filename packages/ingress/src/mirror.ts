import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { EndpointBalancer } from './endpoints.js';
import type { ResolvedProxyOptions } from './proxy-options.js';
import type { Mirror } from './route.js';
import { upstreamRequest } from './upstream-request.js';

/** A mirror further behind than this is dropped rather than allowed to slow the client. */
const MIRROR_MAX_QUEUED = 1024 * 1024;

/**
 * Sends a copy of the request to a mirror backend and discards the answer. The copy is fed from
 * the client body's 'data' events without back-pressure (the primary request's pipe alone paces
 * the client), so a slow or dead mirror never slows the real request; one that falls more than
 * MIRROR_MAX_QUEUED behind is aborted. Failures are logged, never seen by the client.
 */
export function sendMirror(
  req: IncomingMessage,
  hasBody: boolean,
  headers: OutgoingHttpHeaders,
  path: string,
  mirror: Mirror,
  balancer: EndpointBalancer,
  opts: ResolvedProxyOptions,
): void {
  if (opts.random() >= mirror.fraction) return;
  const ep = balancer.next(mirror.service);
  if (!ep) return;
  const m = upstreamRequest(
    { endpoint: ep, method: req.method, path, headers: { ...headers }, tls: false, pooled: true },
    opts,
  );
  m.setTimeout(opts.readTimeoutMs, () => m.destroy());
  m.on('response', (r) => r.resume());
  m.on('error', (e) =>
    opts.onEvent?.({ level: 'warn', msg: 'mirror failed', path, error: e.message }),
  );
  if (!hasBody) {
    m.end();
    return;
  }
  const onData = (chunk: Buffer): void => {
    if (m.destroyed) return;
    if (m.writableLength > MIRROR_MAX_QUEUED) m.destroy(new Error('mirror too slow; dropped'));
    else m.write(chunk);
  };
  req.on('data', onData);
  req.once('end', () => m.end());
  m.once('close', () => req.off('data', onData));
}
