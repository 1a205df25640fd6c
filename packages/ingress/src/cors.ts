import type { OutgoingHttpHeaders } from 'node:http';
import type { CorsOrigin, CorsPolicy } from './route.js';

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

function splitOrigin(value: string): { scheme: string; host: string; port: number } | undefined {
  const m = /^(https?):\/\/([^/:]+)(?::(\d{1,5}))?\/?$/i.exec(value.trim());
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  const port = m[3] === undefined ? DEFAULT_PORT[scheme] : Number(m[3]);
  if (port === undefined || port < 1 || port > 65535) return undefined;
  return { scheme, host: (m[2] as string).toLowerCase(), port };
}

/**
 * Compiles an allowed origin (`*`, `https://app.example.com`, `https://*.example.com:8443`). A `*`
 * in the host matches greedily to the left, across any number of labels (Gateway API CORS). A
 * missing port is the scheme's default. Undefined when the value is not an origin.
 */
export function parseCorsOrigin(value: string): CorsOrigin | undefined {
  if (value.trim() === '*') return '*';
  const o = splitOrigin(value);
  if (!o || !/^[a-z0-9.*-]+$/.test(o.host)) return undefined;
  const pattern = o.host.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*');
  return { scheme: o.scheme, host: new RegExp(`^${pattern}$`), port: o.port };
}

function originAllowed(p: CorsPolicy, origin: string): boolean {
  const o = splitOrigin(origin);
  return p.allowOrigins.some(
    (a) =>
      a === '*' ||
      (o !== undefined && a.scheme === o.scheme && a.port === o.port && a.host.test(o.host)),
  );
}

/** A list header value, or the client's own request value where `*` cannot be used. */
function listValue(
  list: readonly string[],
  credentials: boolean,
  requested: string | undefined,
): string | undefined {
  if (!list.includes('*')) return list.length > 0 ? list.join(', ') : undefined;
  return credentials ? requested : '*';
}

/** CORS headers for an actual (non-preflight) response; empty when the origin is not allowed. */
export function corsHeaders(p: CorsPolicy, origin: string | undefined): OutgoingHttpHeaders {
  if (origin === undefined || !originAllowed(p, origin)) return {};
  const wildcard = p.allowOrigins.includes('*') && !p.allowCredentials;
  const h: OutgoingHttpHeaders = { 'access-control-allow-origin': wildcard ? '*' : origin };
  if (!wildcard) h.vary = 'Origin';
  if (p.allowCredentials) h['access-control-allow-credentials'] = 'true';
  const expose = listValue(p.exposeHeaders, p.allowCredentials, undefined);
  if (expose) h['access-control-expose-headers'] = expose;
  return h;
}

/**
 * Headers answering a preflight (OPTIONS with Access-Control-Request-Method). With credentials,
 * `*` may not be sent back, so the requested method and headers are echoed instead.
 */
export function preflightHeaders(
  p: CorsPolicy,
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeaders: string | undefined,
): OutgoingHttpHeaders {
  const h = corsHeaders(p, origin);
  if (h['access-control-allow-origin'] === undefined) return h;
  const methods = listValue(p.allowMethods, p.allowCredentials, requestMethod);
  if (methods) h['access-control-allow-methods'] = methods;
  const headers = listValue(p.allowHeaders, p.allowCredentials, requestHeaders);
  if (headers) h['access-control-allow-headers'] = headers;
  h['access-control-max-age'] = String(p.maxAgeSeconds);
  return h;
}
