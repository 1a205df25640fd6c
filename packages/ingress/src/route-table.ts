import { pathMatches } from './path-match.js';
import type { Route, RouteAction, RouteMatch, ValueMatch } from './route.js';

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

const PATH_RANK = { Exact: 0, RegularExpression: 1, Prefix: 2 } as const;

function pathLength(m: RouteMatch): number {
  const v = m.path.value;
  return m.path.type === 'Prefix' && v.length > 1 && v.endsWith('/') ? v.length - 1 : v.length;
}

/**
 * Route precedence, shared by Ingress and Gateway API: Exact path, then RegularExpression (longer
 * pattern first; implementation-specific in both APIs), then the longest Prefix; then a method
 * match, more header matches, more query matches; ties go to the oldest object, then
 * namespace/name alphabetically, then rule and match order.
 */
export function comparePrecedence(a: Route, b: Route): number {
  const am = a.match;
  const bm = b.match;
  return (
    PATH_RANK[am.path.type] - PATH_RANK[bm.path.type] ||
    pathLength(bm) - pathLength(am) ||
    Number(bm.method !== undefined) - Number(am.method !== undefined) ||
    bm.headers.length - am.headers.length ||
    bm.query.length - am.query.length ||
    a.origin.createdMs - b.origin.createdMs ||
    (a.origin.source < b.origin.source ? -1 : a.origin.source > b.origin.source ? 1 : 0) ||
    a.origin.ruleIndex - b.origin.ruleIndex ||
    a.origin.matchIndex - b.origin.matchIndex
  );
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
 * An immutable, indexed set of routes: host -> matchers in precedence order. A request is routed
 * within the most specific host that has routes (exact, then the longest wildcard suffix, then
 * the catch-all) and never falls through to a less specific host, like a virtual host; what
 * matches nothing there goes to `fallback` (an Ingress defaultBackend) or gets 404.
 */
export class RouteTable {
  readonly size: number;
  private readonly exact = new Map<string, readonly Route[]>();
  private readonly oneLabel = new Map<string, readonly Route[]>();
  private readonly anyDepth = new Map<string, readonly Route[]>();
  private readonly catchAll: readonly Route[];

  constructor(
    routes: readonly Route[],
    readonly fallback?: RouteAction,
  ) {
    const groups = { exact: new Map<string, Route[]>(), one: new Map(), any: new Map() };
    const all: Route[] = [];
    for (const r of routes) {
      const h = r.host;
      if (h.kind === 'any') all.push(r);
      else {
        const [map, key] =
          h.kind === 'exact'
            ? [groups.exact, h.host]
            : [h.anyDepth ? groups.any : groups.one, h.suffix];
        const list: Route[] = map.get(key) ?? [];
        list.push(r);
        map.set(key, list);
      }
    }
    const freeze = (list: Route[]): readonly Route[] => Object.freeze(list.sort(comparePrecedence));
    for (const [k, v] of groups.exact) this.exact.set(k, freeze(v));
    for (const [k, v] of groups.one as Map<string, Route[]>) this.oneLabel.set(k, freeze(v));
    for (const [k, v] of groups.any as Map<string, Route[]>) this.anyDepth.set(k, freeze(v));
    this.catchAll = freeze(all);
    this.size = routes.length;
    Object.freeze(this);
  }

  /** The routes a host is served by (most specific host bucket), in precedence order. */
  routesFor(host: string): readonly Route[] {
    const exact = this.exact.get(host);
    if (exact) return exact;
    let dot = host.indexOf('.');
    let depth = 1;
    while (dot >= 0) {
      const suffix = host.slice(dot + 1);
      const bucket =
        (depth === 1 ? this.oneLabel.get(suffix) : undefined) ?? this.anyDepth.get(suffix);
      if (bucket) return bucket;
      dot = host.indexOf('.', dot + 1);
      depth++;
    }
    return this.catchAll;
  }

  /** The highest-precedence route matching the request, if any. */
  match(req: RequestView): Route | undefined {
    let parsed: URLSearchParams | undefined;
    const query = (): URLSearchParams =>
      (parsed ??= new URLSearchParams(req.query.startsWith('?') ? req.query.slice(1) : req.query));
    for (const r of this.routesFor(req.host)) if (routeMatches(r, req, query)) return r;
    return undefined;
  }
}
