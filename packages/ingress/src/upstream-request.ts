import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Endpoint } from './endpoints.js';
import type { ResolvedProxyOptions } from './proxy-options.js';

export interface UpstreamTarget {
  endpoint: Endpoint;
  method: string | undefined;
  path: string;
  headers: OutgoingHttpHeaders;
  /** TLS to the backend (backend-protocol: HTTPS). */
  tls: boolean;
  /** false for connections that will be taken over (upgrades) and must not come from the pool. */
  pooled: boolean;
}

/**
 * Opens a request to an endpoint over HTTP or HTTPS. Backend certificates are not verified, as
 * ingress-nginx does by default (proxy_ssl_verify off): endpoints are pod IPs, which cluster
 * certificates rarely name. May throw (Node validates the path and headers).
 */
export function upstreamRequest(t: UpstreamTarget, opts: ResolvedProxyOptions): ClientRequest {
  const base = {
    host: t.endpoint.address,
    port: t.endpoint.port,
    method: t.method,
    path: t.path,
    headers: t.headers,
  };
  if (!t.tls) return httpRequest({ ...base, agent: t.pooled ? opts.agent : false });
  return httpsRequest({
    ...base,
    agent: t.pooled ? opts.tlsAgent : false,
    rejectUnauthorized: false,
  });
}
