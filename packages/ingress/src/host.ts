import { RouteCompileError } from './errors.js';

/**
 * A hostname a route applies to. The two APIs disagree on wildcards: an Ingress `*.foo.com`
 * matches exactly one extra label, a Gateway API `*.foo.com` matches one or more.
 */
export type HostPattern =
  | { kind: 'any' }
  | { kind: 'exact'; host: string }
  | { kind: 'wildcard'; suffix: string; anyDepth: boolean };

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses a rule/route hostname; `anyDepth` selects the Gateway API wildcard meaning. */
export function parseHostPattern(
  value: string | undefined,
  anyDepth: boolean,
  source = 'host',
): HostPattern {
  if (value === undefined || value === '' || value === '*') return { kind: 'any' };
  const host = value.toLowerCase();
  const wildcard = host.startsWith('*.');
  const rest = wildcard ? host.slice(2) : host;
  const labels = rest.split('.');
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new RouteCompileError(`invalid hostname ${JSON.stringify(value)}`, source, 'host');
  }
  return wildcard ? { kind: 'wildcard', suffix: rest, anyDepth } : { kind: 'exact', host };
}

export function formatHostPattern(p: HostPattern): string {
  if (p.kind === 'any') return '*';
  return p.kind === 'exact' ? p.host : `*.${p.suffix}`;
}

/** Whether a (normalised) request host falls under a pattern. */
export function hostMatches(p: HostPattern, host: string): boolean {
  if (p.kind === 'any') return true;
  if (p.kind === 'exact') return p.host === host;
  if (!host.endsWith(`.${p.suffix}`)) return false;
  const head = host.slice(0, host.length - p.suffix.length - 1);
  return p.anyDepth ? head.length > 0 : head.length > 0 && !head.includes('.');
}

/**
 * The Host header as routing sees it: lower case, port and trailing dot removed. Returns '' for a
 * missing or malformed header (only catch-all routes can match it).
 */
export function normalizeHost(header: string | undefined): string {
  if (!header) return '';
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? '' : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * Gateway API hostname intersection of a listener hostname with a route's hostnames: the
 * hostnames the route is attached under. An empty result means the route does not attach
 * (status reason NoMatchingListenerHostname).
 */
export function intersectHostnames(
  listener: string | undefined,
  route: readonly string[] | undefined,
): string[] {
  const routeNames = route && route.length > 0 ? route.map((h) => h.toLowerCase()) : undefined;
  if (!listener) return routeNames ?? ['*'];
  const l = listener.toLowerCase();
  if (!routeNames) return [l];
  const out: string[] = [];
  for (const r of routeNames) {
    const i = intersectPair(l, r);
    if (i !== undefined && !out.includes(i)) out.push(i);
  }
  return out;
}

function intersectPair(a: string, b: string): string | undefined {
  if (a === b) return a;
  const pa = parseHostPattern(a, true, 'listener');
  const pb = parseHostPattern(b, true, 'route');
  if (pa.kind === 'exact' && pb.kind === 'wildcard')
    return hostMatches(pb, pa.host) ? a : undefined;
  if (pb.kind === 'exact' && pa.kind === 'wildcard')
    return hostMatches(pa, pb.host) ? b : undefined;
  if (pa.kind === 'wildcard' && pb.kind === 'wildcard') {
    // The narrower wildcard is the intersection, when one lies inside the other.
    if (pa.suffix.endsWith(`.${pb.suffix}`)) return a;
    if (pb.suffix.endsWith(`.${pa.suffix}`)) return b;
  }
  return undefined;
}
