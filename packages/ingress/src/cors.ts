import type { OutgoingHttpHeaders } from 'node:http';
import type { CorsPolicy } from './route.js';

/** The Access-Control-Allow-Origin value for a request Origin, or undefined if not allowed. */
function allowedOrigin(p: CorsPolicy, origin: string): string | undefined {
  if (p.allowOrigins.includes('*')) return p.allowCredentials ? origin : '*';
  return p.allowOrigins.includes(origin) ? origin : undefined;
}

/** CORS headers for an actual (non-preflight) response; empty when the origin is not allowed. */
export function corsHeaders(p: CorsPolicy, origin: string | undefined): OutgoingHttpHeaders {
  if (origin === undefined) return {};
  const allow = allowedOrigin(p, origin);
  if (allow === undefined) return {};
  const h: OutgoingHttpHeaders = { 'access-control-allow-origin': allow };
  if (allow !== '*') h.vary = 'Origin';
  if (p.allowCredentials) h['access-control-allow-credentials'] = 'true';
  if (p.exposeHeaders) h['access-control-expose-headers'] = p.exposeHeaders;
  return h;
}

/** Headers answering a preflight (OPTIONS with Access-Control-Request-Method), ingress-nginx style. */
export function preflightHeaders(p: CorsPolicy, origin: string | undefined): OutgoingHttpHeaders {
  const h = corsHeaders(p, origin);
  if (h['access-control-allow-origin'] === undefined) return h;
  h['access-control-allow-methods'] = p.allowMethods;
  h['access-control-allow-headers'] = p.allowHeaders;
  h['access-control-max-age'] = String(p.maxAgeSeconds);
  return h;
}
