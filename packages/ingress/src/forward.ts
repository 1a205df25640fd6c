import type {
  ClientRequest,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { Readable } from 'node:stream';
import { cookieValue } from './backend-picker.js';
import { BodyLimit, BodyTooLargeError } from './body-limit.js';
import type { Forward } from './decide.js';
import { endpointToken, type Endpoint, type EndpointBalancer } from './endpoints.js';
import { applyHeaderModifier, endToEndHeaders, HOP_BY_HOP } from './headers.js';
import { upstreamRequest } from './upstream-request.js';
import type { ResolvedProxyOptions } from './proxy-options.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Error codes that mean the connection to an endpoint was never made (safe to retry). */
export const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/** An upstream failure with the status the client gets for it. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly status: 502 | 503 | 504,
  ) {
    super(message);
  }
}

/** Whether a request carries a body (the parser has already rejected ambiguous framing). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? Number(length) > 0 : req.headers['transfer-encoding'] !== undefined;
}

export interface ForwardHooks {
  /** Answer locally with an error status (or break the response if it already started). */
  fail: (status: number, reason: string, error?: Error) => void;
  /** The endpoint whose response is being relayed. */
  answeredBy: (endpoint: Endpoint) => void;
}

interface Attempt {
  number: number;
  tried: Set<string>;
  lastError?: Error;
}

/**
 * Sends a decided request to one of its Service's endpoints and relays the answer. The body is
 * only piped once the connection is up, so a failed connect has consumed nothing and an
 * idempotent request can go to another endpoint. Every failure ends in a status for the client
 * (502 connect/protocol, 503 no endpoints, 504 timeouts) or, once the response has started, in
 * closing the client connection; nothing throws.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  d: Forward,
  headers: OutgoingHttpHeaders,
  opts: ResolvedProxyOptions,
  balancer: EndpointBalancer,
  hooks: ForwardHooks,
): void {
  const fail = hooks.fail;
  const limit = d.options.maxBodyBytes ?? opts.maxBodyBytes;
  const hasBody = requestHasBody(req);
  if (hasBody && req.headers['content-length'] === undefined)
    headers['transfer-encoding'] = 'chunked';
  let body: Readable | undefined;
  /** The upstream request of the attempt in progress. */
  let current: ClientRequest | undefined;
  // Set once we answered locally (413, 504 deadline); later upstream errors must not cut that
  // answer short.
  let answered = false;
  if (hasBody) {
    const limiter = new BodyLimit(limit);
    limiter.on('error', (e) => {
      answered = !res.headersSent;
      fail(e instanceof BodyTooLargeError ? 413 : 400, e.message);
      current?.destroy();
    });
    body = req.pipe(limiter);
  }
  const connectMs = d.options.connectTimeoutMs ?? opts.connectTimeoutMs;
  const sendMs = d.options.sendTimeoutMs ?? opts.sendTimeoutMs;
  const readMs = d.options.readTimeoutMs ?? opts.readTimeoutMs;
  const affinity = d.options.affinity;
  const token = affinity ? cookieValue(req.headers.cookie, affinity.cookieName) : undefined;
  const sticky = token ? balancer.byToken(d.service, token) : undefined;
  const requestMs = d.options.requestTimeoutMs ?? 0;
  const backendMs = d.options.backendRequestTimeoutMs ?? 0;
  // The whole-request deadline (HTTPRoute timeouts.request) spans every attempt.
  const deadline =
    requestMs > 0
      ? setTimeout(() => {
          answered = !res.headersSent;
          fail(504, 'request timeout');
          current?.destroy();
        }, requestMs)
      : undefined;
  res.on('close', () => {
    clearTimeout(deadline);
    // The client went away (or we finished): never leave the upstream request running.
    if (!res.writableFinished) current?.destroy();
  });

  const attempt = (a: Attempt): void => {
    const ep: Endpoint | undefined =
      a.number === 0 && sticky ? sticky : balancer.next(d.service, a.tried);
    if (!ep) {
      if (a.number === 0) fail(503, 'no ready endpoints');
      else {
        // Every endpoint was tried: report the last failure as itself (a timeout stays 504).
        const last = a.lastError;
        fail(
          last instanceof UpstreamError ? last.status : 502,
          last?.message ?? 'upstream failed',
          last,
        );
      }
      return;
    }
    a.tried.add(`${ep.address}:${ep.port}`);
    let connected = false;
    let bodyStarted = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let up: ClientRequest;
    try {
      up = upstreamRequest(
        {
          endpoint: ep,
          method: req.method,
          path: d.path,
          headers,
          tls: d.options.backendTls === true,
          pooled: true,
        },
        opts,
      );
    } catch (e) {
      // Node refuses characters that would break the request line or headers (e.g. a rewrite
      // target with a space); this can run from a retry, outside any caller's try.
      fail(500, 'invalid upstream request', e as Error);
      return;
    }
    current = up;
    if (backendMs > 0) {
      const attemptTimer = setTimeout(
        () => up.destroy(new UpstreamError('backend request timeout', 504)),
        backendMs,
      );
      up.once('close', () => clearTimeout(attemptTimer));
    }
    up.on('socket', (socket) => {
      const start = (): void => {
        clearTimeout(connectTimer);
        connected = true;
        up.setTimeout(sendMs);
        if (body) {
          bodyStarted = true;
          body.pipe(up);
        } else up.end();
      };
      if (socket.connecting) {
        connectTimer = setTimeout(
          () => up.destroy(new UpstreamError('connect timeout', 504)),
          connectMs,
        );
        socket.once('connect', start);
      } else start();
    });
    // Same value (the default): the idle timer set at start already covers both phases.
    if (readMs !== sendMs) up.on('finish', () => up.setTimeout(readMs));
    up.on('timeout', () =>
      up.destroy(new UpstreamError(connected ? 'read timeout' : 'connect timeout', 504)),
    );
    up.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (answered || res.writableFinished) return;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const connectFailed = !connected || CONNECT_ERRORS.has(err.code ?? '');
      const staleSocket = up.reusedSocket && !bodyStarted && err.code === 'ECONNRESET';
      if (
        IDEMPOTENT.has(req.method ?? '') &&
        (connectFailed || staleSocket) &&
        a.number < opts.retries
      ) {
        if (body) body.unpipe(up);
        // A pooled socket the backend had just closed says nothing about the endpoint itself.
        if (staleSocket && !connectFailed) a.tried.delete(`${ep.address}:${ep.port}`);
        attempt({ number: a.number + 1, tried: a.tried, lastError: err });
        return;
      }
      const status = err instanceof UpstreamError ? err.status : 502;
      fail(status, err.message, err);
    });
    up.on('response', (upRes) => relay(upRes, ep));
  };

  const relay = (upRes: IncomingMessage, ep: Endpoint): void => {
    if (res.headersSent || res.destroyed) {
      upRes.destroy();
      return;
    }
    const out = endToEndHeaders(upRes.headers);
    for (const m of d.responseHeaders) applyHeaderModifier(out, m);
    Object.assign(out, d.extraResponseHeaders);
    // Framing is Node's to write: a filter must not be able to desynchronise the connection.
    for (const k of HOP_BY_HOP) delete out[k];
    const length = upRes.headers['content-length'];
    if (length === undefined) delete out['content-length'];
    else out['content-length'] = length;
    if (affinity && ep !== sticky) {
      const cookie = [
        `${affinity.cookieName}=${endpointToken(ep)}`,
        `Path=${affinity.path ?? '/'}`,
        'HttpOnly',
      ];
      if (affinity.maxAgeSeconds !== undefined) cookie.push(`Max-Age=${affinity.maxAgeSeconds}`);
      const prior = out['set-cookie'];
      out['set-cookie'] = [
        ...(Array.isArray(prior) ? prior : prior === undefined ? [] : [String(prior)]),
        cookie.join('; '),
      ];
    }
    try {
      res.writeHead(upRes.statusCode ?? 502, out);
    } catch (e) {
      // A response header modifier produced something Node will not send.
      upRes.destroy();
      fail(502, 'invalid response headers', e as Error);
      return;
    }
    hooks.answeredBy(ep);
    upRes.pipe(res);
    // A backend that dies mid-body: the client must see a broken response, not a short one.
    upRes.on('error', () => res.destroy());
    upRes.on('close', () => {
      if (!upRes.complete) res.destroy();
    });
  };

  attempt({ number: 0, tried: new Set() });
}
