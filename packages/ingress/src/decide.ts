import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { pickWeighted, useCanary } from './backend-picker.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { RequestPathError } from './errors.js';
import { normalizeHost } from './host.js';
import { modifyPath } from './path-match.js';
import { normalizeRequestTarget } from './path-normalize.js';
import { redirectLocation } from './redirect.js';
import type {
  HeaderModifier,
  Mirror,
  PathMatch,
  RouteAction,
  RouteOptions,
  ServiceRef,
} from './route.js';
import type { RouteTable } from './route-table.js';

export interface IncomingInfo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  scheme: 'http' | 'https';
  localPort: number;
  /** More than one Host header (Node keeps only the first; RFC 9112 says 400). */
  duplicateHost?: boolean;
}

/** Answer locally (errors, redirects, CORS preflight). */
export interface Respond {
  kind: 'respond';
  status: number;
  headers: OutgoingHttpHeaders;
  reason: string;
  /** The route that answered ("HTTPRoute ns/name", "Ingress ns/name", "defaultBackend"). */
  route?: string;
}

/** Send to a Service. */
export interface Forward {
  kind: 'forward';
  /** The route that matched ("HTTPRoute ns/name", "Ingress ns/name", "defaultBackend"). */
  route: string;
  service: ServiceRef;
  /** Path and query for the upstream request line. */
  path: string;
  /** Host header for the upstream (URLRewrite hostname, else the client's). */
  host: string | undefined;
  requestHeaders: (HeaderModifier | undefined)[];
  responseHeaders: (HeaderModifier | undefined)[];
  /** Extra response headers (CORS). */
  extraResponseHeaders: OutgoingHttpHeaders;
  mirrors: readonly Mirror[];
  options: RouteOptions;
}

export type Decision = Respond | Forward;

const respond = (status: number, reason: string, headers: OutgoingHttpHeaders = {}): Respond => ({
  kind: 'respond',
  status,
  headers,
  reason,
});

/**
 * Everything about a request that does not need the network: normalise, match, redirects,
 * CORS preflight, canary and weighted backend choice, path/host rewrite. Pure given `random`.
 */
export function decide(table: RouteTable, req: IncomingInfo, random: () => number): Decision {
  if (req.duplicateHost) return respond(400, 'more than one Host header');
  let target;
  try {
    target = normalizeRequestTarget(req.url);
  } catch (e) {
    if (e instanceof RequestPathError) return respond(400, e.message);
    throw e;
  }
  const host = normalizeHost(target.authority ?? req.headers.host);
  const route = table.match({
    host,
    path: target.path,
    method: req.method,
    headers: req.headers,
    query: target.query,
  });
  const action: RouteAction | undefined = route?.action ?? table.fallback;
  if (!action) return respond(404, 'no route');
  const routeName = route?.origin.source ?? 'defaultBackend';
  const local = (status: number, reason: string, headers: OutgoingHttpHeaders = {}): Respond => ({
    ...respond(status, reason, headers),
    route: routeName,
  });
  const match: PathMatch = route?.match.path ?? { type: 'Prefix', value: '/' };
  const o = action.options;
  const here = {
    scheme: req.scheme,
    host,
    port: req.localPort,
    path: target.path,
    query: target.query,
  };
  if (o.sslRedirect && req.scheme === 'http') {
    return local(308, 'ssl-redirect', {
      location: redirectLocation({ scheme: 'https', statusCode: 308 }, here, match),
    });
  }
  if (o.appRoot && target.path === '/') return local(302, 'app-root', { location: o.appRoot });
  const origin = req.headers.origin;
  if (
    o.cors &&
    req.method === 'OPTIONS' &&
    req.headers['access-control-request-method'] !== undefined
  ) {
    const method = req.headers['access-control-request-method'];
    const headers = req.headers['access-control-request-headers'];
    return local(204, 'cors preflight', preflightHeaders(o.cors, origin, method, headers));
  }
  if (action.redirect) {
    return local(action.redirect.statusCode, 'redirect', {
      location: redirectLocation(action.redirect, here, match),
    });
  }
  const useAlt = action.canary !== undefined && useCanary(action.canary, req.headers, random);
  const backends = useAlt && action.canary ? action.canary.backends : action.backends;
  const backend = pickWeighted(backends, random);
  if (!backend) return local(500, 'no backend with weight');
  if (!backend.service) return local(500, 'invalid backend reference');
  const rewrite = action.rewrite;
  const path = rewrite?.path ? modifyPath(rewrite.path, target.path, match) : target.path;
  return {
    kind: 'forward',
    route: routeName,
    service: backend.service,
    path: path + target.query,
    host: rewrite?.hostname ?? req.headers.host,
    requestHeaders: [action.requestHeaders, backend.requestHeaders],
    responseHeaders: [action.responseHeaders, backend.responseHeaders],
    extraResponseHeaders: o.cors ? corsHeaders(o.cors, origin) : {},
    mirrors: action.mirrors,
    options: o,
  };
}
