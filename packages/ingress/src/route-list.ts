import { comparePrecedence } from './precedence.js';
import type { Route } from './route.js';

/** First path segment a route can match (`/a/b` -> `a`); undefined when it can match any. */
function firstSegment(r: Route): string | undefined {
  const p = r.match.path;
  if (p.type === 'RegularExpression') return undefined;
  if (p.type === 'Prefix' && (p.value === '/' || p.value === '')) return undefined;
  const end = p.value.indexOf('/', 1);
  return end < 0 ? p.value.slice(1) : p.value.slice(1, end);
}

function requestSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

const NONE: readonly Route[] = Object.freeze([]);

/**
 * The routes of one host in precedence order, split by first path segment so a lookup only
 * visits the routes that could match: those for the request's first segment and those that
 * match any path (catch-all prefixes, regexes). The two sorted lists are merged as they are
 * walked, so the first match is still the highest-precedence one.
 */
export class RouteList {
  private readonly bySegment = new Map<string, readonly Route[]>();
  private readonly anyPath: readonly Route[];
  readonly all: readonly Route[];

  constructor(routes: Iterable<Route>) {
    this.all = Object.freeze([...routes].sort(comparePrecedence));
    const bySegment = new Map<string, Route[]>();
    const anyPath: Route[] = [];
    for (const r of this.all) {
      const seg = firstSegment(r);
      if (seg === undefined) anyPath.push(r);
      else {
        const list = bySegment.get(seg);
        if (list) list.push(r);
        else bySegment.set(seg, [r]);
      }
    }
    for (const [k, v] of bySegment) this.bySegment.set(k, Object.freeze(v));
    this.anyPath = Object.freeze(anyPath);
  }

  /** The first route (in precedence order) that `matches` accepts. */
  first(path: string, matches: (r: Route) => boolean): Route | undefined {
    const a = this.bySegment.get(requestSegment(path)) ?? NONE;
    const b = this.anyPath;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const ra = a[i];
      const rb = b[j];
      const takeA = ra !== undefined && (rb === undefined || comparePrecedence(ra, rb) <= 0);
      const r = (takeA ? ra : rb) as Route;
      if (takeA) i++;
      else j++;
      if (matches(r)) return r;
    }
    return undefined;
  }
}
