import type { Ingress, IngressBackend, HTTPIngressPath } from './api-types.js';
import { parseIngressAnnotations, type IngressAnnotations } from './annotations.js';
import { RouteCompileError } from './errors.js';
import { formatHostPattern, parseHostPattern, type HostPattern } from './host.js';
import type { PathMatch, Route, RouteAction, WeightedBackend } from './route.js';

/** Why an Ingress (or part of one) was not programmed, or was programmed with caveats. */
export interface IngressProblem {
  ingress: string;
  /** true: nothing from this Ingress was programmed. */
  rejected: boolean;
  message: string;
}

export interface CompiledIngresses {
  routes: Route[];
  /** spec.defaultBackend of the oldest Ingress that has one. */
  fallback?: RouteAction;
  problems: IngressProblem[];
}

export function objectKey(meta: { namespace?: string; name: string }): string {
  return `${meta.namespace ?? 'default'}/${meta.name}`;
}

export function createdMs(meta: { creationTimestamp?: string | Date }): number {
  const t = meta.creationTimestamp;
  const ms = t === undefined ? NaN : t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isFinite(ms) ? ms : 0;
}

function backendOf(b: IngressBackend, namespace: string, source: string): WeightedBackend {
  if (b.resource)
    throw new RouteCompileError('resource backends are not supported', source, 'backend');
  const svc = b.service;
  const port = svc?.port.number ?? svc?.port.name;
  if (!svc?.name || port === undefined) {
    throw new RouteCompileError('backend needs service.name and a port', source, 'backend');
  }
  return { service: { namespace, name: svc.name, port }, weight: 1 };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pathMatchOf(p: HTTPIngressPath, a: IngressAnnotations, source: string): PathMatch {
  const value = p.path ?? '/';
  if (!value.startsWith('/'))
    throw new RouteCompileError('path must start with "/"', source, 'path');
  if (p.pathType === 'Exact') return { type: 'Exact', value };
  if (!a.useRegex) return { type: 'Prefix', value };
  // Like ingress-nginx: the path is a case-insensitive regex anchored at the start only.
  try {
    return { type: 'RegularExpression', value, regex: new RegExp(`^(?:${value})`, 'i') };
  } catch (e) {
    throw new RouteCompileError(
      `invalid regular expression: ${(e as Error).message}`,
      source,
      'path',
    );
  }
}

function actionOf(
  backend: WeightedBackend,
  match: PathMatch,
  a: IngressAnnotations,
  sslRedirect: boolean,
): RouteAction {
  const action: RouteAction = {
    backends: [backend],
    mirrors: [],
    options: { ...a.options, sslRedirect },
  };
  if (a.rewriteTarget !== undefined) {
    const regex =
      match.type === 'RegularExpression' ? match.regex : new RegExp(`^${escapeRegex(match.value)}`);
    action.rewrite = { path: { type: 'RegexReplace', regex, replacement: a.rewriteTarget } };
  }
  return action;
}

function tlsHostsOf(ing: Ingress): Set<string> {
  return new Set((ing.spec.tls ?? []).flatMap((t) => t.hosts ?? []).map((h) => h.toLowerCase()));
}

interface Parsed {
  ing: Ingress;
  key: string;
  a: IngressAnnotations;
}

/**
 * Compiles the Ingresses a controller owns (see selectOwnedIngresses) into routes. Same host and
 * path on two Ingresses: the oldest wins; different paths on one host merge. A canary Ingress
 * adds its backend as an alternative to the route with the same host, path and pathType.
 * ImplementationSpecific is Prefix, or a regex when use-regex/rewrite-target is set.
 */
export function compileIngresses(ingresses: readonly Ingress[]): CompiledIngresses {
  const out: CompiledIngresses = { routes: [], problems: [] };
  const parsed: Parsed[] = ingresses
    .map((ing) => ({
      ing,
      key: objectKey(ing.metadata),
      a: parseIngressAnnotations(ing.metadata.annotations),
    }))
    .sort(
      (x, y) => createdMs(x.ing.metadata) - createdMs(y.ing.metadata) || (x.key < y.key ? -1 : 1),
    );
  const byKey = new Map<string, Route>();
  for (const p of parsed) {
    for (const w of p.a.warnings)
      out.problems.push({ ingress: p.key, rejected: false, message: w });
    if (p.a.rejected) {
      out.problems.push({ ingress: p.key, rejected: true, message: p.a.rejected });
      continue;
    }
    try {
      const routes = compileOne(p, out);
      for (const r of routes) {
        const k = `${formatHostPattern(r.host)}|${r.match.path.type}|${r.match.path.value}`;
        const existing = byKey.get(k);
        if (p.a.canary) {
          if (!existing) {
            out.problems.push({
              ingress: p.key,
              rejected: false,
              message: `canary ${k} has no primary Ingress; ignored`,
            });
          } else if (!existing.action.canary) {
            existing.action.canary = { ...p.a.canary, backends: r.action.backends };
          }
        } else if (existing) {
          out.problems.push({
            ingress: p.key,
            rejected: false,
            message: `${k} is already served by ${existing.origin.source}; ignored`,
          });
        } else {
          byKey.set(k, r);
          out.routes.push(r);
        }
      }
    } catch (e) {
      if (!(e instanceof RouteCompileError)) throw e;
      out.problems.push({ ingress: p.key, rejected: true, message: e.message });
    }
  }
  return out;
}

/** Compiles one Ingress; throws RouteCompileError before returning anything if any part is bad. */
function compileOne(p: Parsed, out: CompiledIngresses): Route[] {
  const { ing, key, a } = p;
  const source = `Ingress ${key}`;
  const ns = ing.metadata.namespace ?? 'default';
  const tls = tlsHostsOf(ing);
  const redirectFor = (host: HostPattern): boolean =>
    a.forceSslRedirect || (a.sslRedirect !== false && tls.has(formatHostPattern(host)));
  const routes: Route[] = [];
  const origin = (ruleIndex: number, matchIndex: number): Route['origin'] => ({
    api: 'ingress',
    source,
    createdMs: createdMs(ing.metadata),
    ruleIndex,
    matchIndex,
  });
  const defaultBackend = ing.spec.defaultBackend
    ? backendOf(ing.spec.defaultBackend, ns, source)
    : undefined;
  (ing.spec.rules ?? []).forEach((rule, ri) => {
    const host = parseHostPattern(rule.host, false, source);
    const paths = rule.http?.paths ?? [];
    if (paths.length === 0 && defaultBackend) {
      // A host without paths sends everything to the Ingress's default backend.
      const match: PathMatch = { type: 'Prefix', value: '/' };
      routes.push({
        host,
        match: { path: match, headers: [], query: [] },
        action: actionOf(defaultBackend, match, a, redirectFor(host)),
        origin: origin(ri, 0),
      });
    }
    paths.forEach((path, pi) => {
      const match = pathMatchOf(path, a, source);
      routes.push({
        host,
        match: { path: match, headers: [], query: [] },
        action: actionOf(backendOf(path.backend, ns, source), match, a, redirectFor(host)),
        origin: origin(ri, pi),
      });
    });
  });
  const ruleHosts = new Set(routes.map((r) => formatHostPattern(r.host)));
  for (const h of tls) {
    if (!ruleHosts.has(h)) {
      out.problems.push({
        ingress: key,
        rejected: false,
        message: `tls host ${h} matches no rule host`,
      });
    }
  }
  if (defaultBackend && !out.fallback && !a.canary) {
    out.fallback = actionOf(defaultBackend, { type: 'Prefix', value: '/' }, a, a.forceSslRedirect);
  }
  return routes;
}
