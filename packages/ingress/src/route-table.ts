import { pathMatches } from './path-match.js';
import { HostIndex } from './host-index.js';
import { comparePrecedence } from './precedence.js';
import type { Route, RouteAction, ValueMatch } from './route.js';

/** What matching needs from a request; `path` is already normalised (see normalizeRequestTarget). */
export interface RequestView {
  host: string;
  path: string;
  method: string;
  /** Node's `req.headers`: names lower-cased. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw query string, with or without the leading '?'. */
  query: string;
}

function valueMatches(m: ValueMatch, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  return m.regex ? m.regex.test(actual) : actual === m.exact;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function routeMatches(r: Route, req: RequestView, query: () => URLSearchParams): boolean {
  const m = r.match;
  if (!pathMatches(m.path, req.path)) return false;
  if (m.method !== undefined && m.method !== req.method) return false;
  for (const h of m.headers) if (!valueMatches(h, headerValue(req.headers[h.name]))) return false;
  if (m.query.length > 0) {
    const q = query();
    for (const p of m.query) if (!valueMatches(p, q.get(p.name) ?? undefined)) return false;
  }
  return true;
}

/**
 * An immutable, indexed set of routes: host -> matchers in precedence order (see HostIndex for
 * how the two APIs' host semantics differ). What matches nothing goes to `fallback` (an Ingress
 * defaultBackend) or gets 404. A table may hold both APIs' routes; each API picks its best
 * match by its own host rules and the usual precedence decides between the two.
 */
export class RouteTable {
  readonly size: number;
  private readonly ingress: HostIndex;
  private readonly gateway: HostIndex;

  constructor(
    routes: readonly Route[],
    readonly fallback?: RouteAction,
  ) {
    this.ingress = new HostIndex(
      routes.filter((r) => r.origin.api === 'ingress'),
      false,
    );
    this.gateway = new HostIndex(
      routes.filter((r) => r.origin.api === 'gateway'),
      true,
    );
    this.size = routes.length;
    Object.freeze(this);
  }

  /** The highest-precedence route matching the request, if any. */
  match(req: RequestView): Route | undefined {
    let parsed: URLSearchParams | undefined;
    const query = (): URLSearchParams =>
      (parsed ??= new URLSearchParams(req.query.startsWith('?') ? req.query.slice(1) : req.query));
    const matches = (r: Route): boolean => routeMatches(r, req, query);
    const g = this.gateway.candidates(req.host).first(req.path, matches);
    const i = this.ingress.candidates(req.host).first(req.path, matches);
    if (g && i) return comparePrecedence(g, i) <= 0 ? g : i;
    return g ?? i;
  }
}
