import type { HostPattern } from './host.js';
import type { Route, RouteMatch } from './route.js';

const PATH_RANK = { Exact: 0, RegularExpression: 1, Prefix: 2 } as const;

function pathLength(m: RouteMatch): number {
  const v = m.path.value;
  return m.path.type === 'Prefix' && v.length > 1 && v.endsWith('/') ? v.length - 1 : v.length;
}

/** Exact hostnames before wildcards before catch-all; longer names first within each. */
function hostSpecificity(h: HostPattern): number {
  if (h.kind === 'exact') return 2_000 + h.host.length;
  if (h.kind === 'wildcard') return 1_000 + h.suffix.length;
  return 0;
}

/**
 * Route precedence, shared by Ingress and Gateway API: Exact path, then RegularExpression (longer
 * pattern first; implementation-specific in both APIs), then the longest Prefix; then a method
 * match, more header matches, more query matches; then the more specific hostname (it only
 * differs between Gateway routes merged under one host); ties go to the oldest object, then
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
    hostSpecificity(b.host) - hostSpecificity(a.host) ||
    a.origin.createdMs - b.origin.createdMs ||
    (a.origin.source < b.origin.source ? -1 : a.origin.source > b.origin.source ? 1 : 0) ||
    a.origin.ruleIndex - b.origin.ruleIndex ||
    a.origin.matchIndex - b.origin.matchIndex
  );
}
