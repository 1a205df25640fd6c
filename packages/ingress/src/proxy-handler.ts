import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { TLSSocket } from 'node:tls';
import { decide, type Forward, type IncomingInfo } from './decide.js';
import { forward, requestHasBody } from './forward.js';
import { applyHeaderModifier, endToEndHeaders, setForwarded } from './headers.js';
import { sendMirror } from './mirror.js';
import {
  balancerFor,
  resolveProxyOptions,
  type ProxyOptions,
  type ResolvedProxyOptions,
} from './proxy-options.js';
import { RateLimiter } from './rate-limiter.js';
import { sendStatus } from './respond.js';
import type { Router } from './router.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

function firstValue(v: string | string[] | undefined): string | undefined {
  return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
}

/** The socket facts routing needs: whether it is TLS and the local port it arrived on. */
export interface ConnectionFacts {
  tls: boolean;
  localPort: number | undefined;
}

/**
 * What routing needs to know about a request. Behind a trusted load balancer that terminates
 * TLS, the scheme and port the client used come from X-Forwarded-Proto/-Port, so ssl-redirect
 * does not loop and redirects point at the public port.
 */
export function requestInfo(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  conn: ConnectionFacts,
  hostHeaders: number,
  trustForwarded: boolean,
): IncomingInfo {
  let scheme: 'http' | 'https' = conn.tls ? 'https' : 'http';
  let localPort = conn.localPort ?? (conn.tls ? 443 : 80);
  if (trustForwarded) {
    const proto = firstValue(headers['x-forwarded-proto'])?.toLowerCase();
    if (proto === 'http' || proto === 'https') scheme = proto;
    const port = Number(firstValue(headers['x-forwarded-port']));
    if (Number.isInteger(port) && port > 0 && port < 65536) localPort = port;
  }
  return { duplicateHost: hostHeaders > 1, method, url, headers, scheme, localPort };
}

/** requestInfo for a request Node's HTTP server parsed. */
export function incomingInfo(req: IncomingMessage, trustForwarded: boolean): IncomingInfo {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'host') hosts++;
  }
  const conn = {
    tls: (req.socket as Partial<TLSSocket>).encrypted === true,
    localPort: req.socket.localPort,
  };
  return requestInfo(req.method ?? 'GET', req.url ?? '/', req.headers, conn, hosts, trustForwarded);
}

/** The client as rate limiting sees it: the first X-Forwarded-For hop only when trusted. */
function clientAddress(req: IncomingMessage, opts: ResolvedProxyOptions): string {
  const xff = opts.trustForwardedHeaders ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first || (req.socket.remoteAddress ?? '');
}

/** The upstream request headers for a decision: end-to-end headers, X-Forwarded-*, filters. */
export function upstreamHeaders(
  peer: string,
  info: IncomingInfo,
  d: Forward,
  opts: ResolvedProxyOptions,
): OutgoingHttpHeaders {
  const headers = endToEndHeaders(info.headers);
  if (d.host !== undefined) headers.host = d.host;
  setForwarded(headers, {
    clientAddress: peer,
    proto: info.scheme,
    host: info.headers.host,
    port: info.localPort,
    trust: opts.trustForwardedHeaders,
  });
  for (const m of d.requestHeaders) applyHeaderModifier(headers, m);
  return headers;
}

/**
 * A `(req, res)` handler for any Node HTTP/HTTPS server: routes with the router's current table
 * (a swap applies to the next request; requests in flight finish on the table they started
 * with) and proxies to the chosen Service's endpoints.
 */
export function createProxyHandler(router: Router, options: ProxyOptions): RequestHandler {
  const opts = resolveProxyOptions(options);
  const balancer = balancerFor(opts);
  const limiter = new RateLimiter();
  return (req, res) => {
    const info = incomingInfo(req, opts.trustForwardedHeaders);
    const started = performance.now();
    let route: string | undefined;
    let upstream: string | undefined;
    if (opts.onResponse) {
      res.once('close', () =>
        opts.onResponse?.({
          method: info.method,
          host: req.headers.host,
          url: info.url,
          status: res.statusCode,
          ...(route === undefined ? {} : { route }),
          ...(upstream === undefined ? {} : { upstream }),
          durationMs: performance.now() - started,
          completed: res.writableFinished,
        }),
      );
    }
    const fail = (status: number, reason: string, error?: Error): void => {
      const level = status >= 500 ? 'error' : 'warn';
      opts.onEvent?.({
        level,
        msg: reason,
        status,
        method: info.method,
        path: info.url,
        host: req.headers.host,
        error: error?.message,
      });
      // After a 413 the unread body is still on the connection: close it rather than drain it.
      sendStatus(res, status, {}, status === 413);
    };
    try {
      const d = decide(router.table, info, opts.random);
      route = d.route;
      if (d.kind === 'respond') {
        if (d.status >= 400) fail(d.status, d.reason);
        else sendStatus(res, d.status, d.headers);
        return;
      }
      const rate = d.options.rateLimit;
      if (rate && !limiter.take(`${d.route}|${clientAddress(req, opts)}`, rate)) {
        fail(503, 'rate limited');
        return;
      }
      const headers = upstreamHeaders(req.socket.remoteAddress ?? '', info, d, opts);
      const limit = d.options.maxBodyBytes ?? opts.maxBodyBytes;
      if (Number(req.headers['content-length'] ?? 0) > limit) {
        fail(413, 'body too large');
        return;
      }
      const hasBody = requestHasBody(req);
      for (const m of d.mirrors) sendMirror(req, hasBody, headers, d.path, m, balancer, opts);
      forward(req, res, d, headers, opts, balancer, {
        fail,
        answeredBy: (ep) => (upstream = `${ep.address}:${ep.port}`),
      });
    } catch (e) {
      // A bug must cost one request, never the server.
      fail(500, 'internal error', e as Error);
    }
  };
}
