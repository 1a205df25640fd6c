import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EndpointBalancer, serviceKey, type EndpointResolver } from './endpoints.js';

/** One line for the app's structured log (a request we answered with an error, or a mirror). */
export interface ProxyEvent {
  level: 'warn' | 'error';
  msg: string;
  status?: number;
  method?: string;
  path?: string;
  host?: string;
  error?: string;
}

/** One finished (or abandoned) request, for access logs and metrics. */
export interface ResponseRecord {
  method: string;
  host: string | undefined;
  /** The request target as received. */
  url: string;
  status: number;
  /** "HTTPRoute ns/name", "Ingress ns/name", "defaultBackend"; absent when nothing matched. */
  route?: string;
  /** `address:port` of the endpoint that answered, when one did. */
  upstream?: string;
  durationMs: number;
  /** false when the connection closed before the response was complete. */
  completed: boolean;
}

export interface ProxyOptions {
  /** Ready endpoints per Service port (the app feeds it from EndpointSlices). */
  endpoints: EndpointResolver;
  /** Upstream connection pool; default: keep-alive, LIFO, idle sockets closed after 4 s. */
  agent?: Agent;
  /** The same for HTTPS backends (backend-protocol: HTTPS); certificates are not verified. */
  tlsAgent?: HttpsAgent;
  /** Default request body limit (bytes; Infinity for none); per-route proxy-body-size wins. */
  maxBodyBytes?: number;
  connectTimeoutMs?: number;
  /** Longest pause between two writes of the request to the backend. */
  sendTimeoutMs?: number;
  /** Longest pause between two reads from the backend. */
  readTimeoutMs?: number;
  /** Extra attempts on another endpoint for idempotent requests whose connection failed. */
  retries?: number;
  /** Keep and extend the client's X-Forwarded-* (only behind a trusted load balancer). */
  trustForwardedHeaders?: boolean;
  random?: () => number;
  onEvent?: (e: ProxyEvent) => void;
  /** Called once per request when its response finished or its connection closed. */
  onResponse?: (r: ResponseRecord) => void;
}

export type ResolvedProxyOptions = Required<Omit<ProxyOptions, 'onEvent' | 'onResponse'>> &
  Pick<ProxyOptions, 'onEvent' | 'onResponse'>;

/**
 * The upstream pool: keep-alive, most recently used socket first. Node backends close idle
 * keep-alive sockets after 5 s; dropping ours after 4 s avoids most reuse-after-close resets
 * (and the rest are retried when safe).
 */
export function defaultAgent(): Agent {
  return new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4000 });
}

/** defaultAgent for HTTPS backends. */
export function defaultTlsAgent(): HttpsAgent {
  return new HttpsAgent({
    keepAlive: true,
    scheduling: 'lifo',
    timeout: 4000,
    rejectUnauthorized: false,
  });
}

function contained(f: () => void): void {
  try {
    f();
  } catch {
    // Deliberately ignored: see resolveProxyOptions.
  }
}

export function resolveProxyOptions(o: ProxyOptions): ResolvedProxyOptions {
  const resolved: ResolvedProxyOptions = {
    endpoints: o.endpoints,
    agent: o.agent ?? defaultAgent(),
    tlsAgent: o.tlsAgent ?? defaultTlsAgent(),
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    sendTimeoutMs: o.sendTimeoutMs ?? 60_000,
    readTimeoutMs: o.readTimeoutMs ?? 60_000,
    retries: o.retries ?? 2,
    trustForwardedHeaders: o.trustForwardedHeaders ?? false,
    random: o.random ?? Math.random,
  };
  // Hooks that throw must not take a request (or the process) down with them; they are the
  // reporting channel, so there is nothing left to report their failure to.
  const onEvent = o.onEvent;
  if (onEvent) resolved.onEvent = (e) => contained(() => onEvent(e));
  const onResponse = o.onResponse;
  if (onResponse) resolved.onResponse = (r) => contained(() => onResponse(r));
  return resolved;
}

/** A balancer over the resolver whose failures become error events instead of exceptions. */
export function balancerFor(opts: ResolvedProxyOptions): EndpointBalancer {
  return new EndpointBalancer(opts.endpoints, (svc, e) =>
    opts.onEvent?.({
      level: 'error',
      msg: `endpoint resolver failed for ${serviceKey(svc)}`,
      error: e.message,
    }),
  );
}
