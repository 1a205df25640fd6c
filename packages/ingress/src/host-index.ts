import type { Route } from './route.js';
import { RouteList } from './route-list.js';

type Sorted = RouteList;

function sorted(routes: Iterable<Route>): Sorted {
  return new RouteList(routes);
}

/** Label suffixes of a host, longest first: `a.b.c` -> `b.c`, `c`. */
function* suffixes(host: string): Generator<string> {
  let dot = host.indexOf('.');
  while (dot >= 0) {
    yield host.slice(dot + 1);
    dot = host.indexOf('.', dot + 1);
  }
}

/**
 * Routes by host, answering "which routes, in precedence order, may serve this host?" with the
 * lists built ahead of time (lookup is one map probe per label; the Host header is never used
 * as a cache key).
 *
 *  - virtual-host mode (Ingress): the most specific host that has routes — exact, else the
 *    one-label wildcard, else the catch-all — and nothing from less specific hosts;
 *  - merged mode (Gateway API): every route whose hostname covers the host (exact, wildcards of
 *    any depth, catch-all) in one precedence order. The Gateway conformance suite requires this
 *    (HTTPRouteMatchingAcrossRoutes: `example.com/v2` goes to the `*.com` route's `/v2` rule
 *    although the `example.com` route has `/`).
 */
export class HostIndex {
  private readonly exact = new Map<string, Sorted>();
  private readonly wildcard = new Map<string, Sorted>();
  private readonly catchAll: Sorted;

  constructor(
    routes: readonly Route[],
    private readonly merged: boolean,
  ) {
    const exact = new Map<string, Route[]>();
    const wildcard = new Map<string, Route[]>();
    const any: Route[] = [];
    for (const r of routes) {
      const h = r.host;
      if (h.kind === 'any') any.push(r);
      else {
        const [map, key] = h.kind === 'exact' ? [exact, h.host] : [wildcard, h.suffix];
        const list = map.get(key);
        if (list) list.push(r);
        else map.set(key, [r]);
      }
    }
    this.catchAll = sorted(any);
    const wildcardChain = (host: string): Route[] =>
      [...suffixes(`x.${host}`)].flatMap((s) => wildcard.get(s) ?? []);
    for (const [suffix, list] of wildcard) {
      this.wildcard.set(suffix, merged ? sorted([...wildcardChain(suffix), ...any]) : sorted(list));
    }
    for (const [host, list] of exact) {
      this.exact.set(
        host,
        merged
          ? sorted([...list, ...[...suffixes(host)].flatMap((s) => wildcard.get(s) ?? []), ...any])
          : sorted(list),
      );
    }
  }

  candidates(host: string): Sorted {
    const exact = this.exact.get(host);
    if (exact) return exact;
    for (const s of suffixes(host)) {
      const list = this.wildcard.get(s);
      if (list) return list;
      // An Ingress wildcard covers exactly one label: only the first suffix can match.
      if (!this.merged) break;
    }
    return this.catchAll;
  }
}
