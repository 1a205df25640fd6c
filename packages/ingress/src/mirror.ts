import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { EndpointBalancer } from './endpoints.js';
import type { ResolvedProxyOptions } from './proxy-options.js';
import type { Mirror } from './route.js';

/**
 * Sends a copy of the request to a mirror backend and discards the answer. The copy shares the
 * client body stream; a mirror that fails is unpiped and logged and never affects the client.
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
  const m = request({
    host: ep.address,
    port: ep.port,
    method: req.method,
    path,
    headers: { ...headers },
    agent: opts.agent,
  });
  m.setTimeout(opts.readTimeoutMs, () => m.destroy());
  m.on('response', (r) => r.resume());
  m.on('error', (e) =>
    opts.onEvent?.({ level: 'warn', msg: 'mirror failed', path, error: e.message }),
  );
  if (hasBody) req.pipe(m);
  else m.end();
}
