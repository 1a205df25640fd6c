import { Agent } from 'node:http';
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

export interface ProxyOptions {
  /** Ready endpoints per Service port (the app feeds it from EndpointSlices). */
  endpoints: EndpointResolver;
  /** Upstream connection pool; default: keep-alive, LIFO, idle sockets closed after 4 s. */
  agent?: Agent;
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
}

export type ResolvedProxyOptions = Required<Omit<ProxyOptions, 'onEvent'>> &
  Pick<ProxyOptions, 'onEvent'>;

export function resolveProxyOptions(o: ProxyOptions): ResolvedProxyOptions {
  const resolved: ResolvedProxyOptions = {
    endpoints: o.endpoints,
    // Node backends close idle keep-alive sockets after 5 s; dropping ours first avoids most
    // reuse-after-close resets (and the rest are retried when safe).
    agent: o.agent ?? new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4000 }),
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    sendTimeoutMs: o.sendTimeoutMs ?? 60_000,
    readTimeoutMs: o.readTimeoutMs ?? 60_000,
    retries: o.retries ?? 2,
    trustForwardedHeaders: o.trustForwardedHeaders ?? false,
    random: o.random ?? Math.random,
  };
  const onEvent = o.onEvent;
  if (onEvent) {
    // A logging hook that throws must not take a request (or the process) down with it.
    resolved.onEvent = (e) => {
      try {
        onEvent(e);
      } catch {
        // Nothing sensible to report to: the hook is the reporting channel.
      }
    };
  }
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
