import type { HTTPRoute, HTTPRouteMatch, HTTPRouteRule } from './api-types.js';
import { applyFilter, headerModifier, RefChecker } from './compile-filters.js';
import { createdMs, objectKey } from './compile-ingress.js';
import { parseGatewayDuration } from './duration.js';
import { RouteCompileError } from './errors.js';
import { intersectHostnames, parseHostPattern } from './host.js';
import type {
  PathMatch,
  Route,
  RouteAction,
  RouteMatch,
  ServiceRef,
  ValueMatch,
  WeightedBackend,
} from './route.js';

/** The Gateway listener the routes are attached to (the app does parentRef/allowedRoutes). */
export interface ListenerInfo {
  hostname?: string;
}

export interface HttpRouteCompileOptions {
  /** ReferenceGrant check for a backendRef into another namespace; default: not permitted. */
  referencePermitted?: (fromNamespace: string, to: ServiceRef) => boolean;
  /** Whether the Service exists; default: assume it does. */
  serviceExists?: (ref: ServiceRef) => boolean;
}

export interface HttpRouteStatus {
  route: string;
  accepted: boolean;
  /** Accepted / NoMatchingListenerHostname / UnsupportedValue. */
  reason: string;
  resolvedRefs: boolean;
  /** ResolvedRefs / BackendNotFound / RefNotPermitted / InvalidKind. */
  refsReason: string;
  /** Some rules were left out (the PartiallyInvalid condition); see messages. */
  partiallyInvalid: boolean;
  messages: string[];
}

export interface CompiledHttpRoutes {
  routes: Route[];
  statuses: HttpRouteStatus[];
}

function regex(source: string, field: string, pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new RouteCompileError(
      `invalid regular expression: ${(e as Error).message}`,
      source,
      field,
    );
  }
}

function valueMatch(
  source: string,
  field: string,
  m: { type?: string; name: string; value: string },
  name: string,
): ValueMatch {
  if ((m.type ?? 'Exact') === 'Exact') return { name, exact: m.value };
  if (m.type === 'RegularExpression') return { name, regex: regex(source, field, m.value) };
  throw new RouteCompileError(`unsupported match type ${m.type}`, source, field);
}

function matchOf(source: string, m: HTTPRouteMatch): RouteMatch {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (!value.startsWith('/'))
    throw new RouteCompileError('path must start with "/"', source, 'path');
  let path: PathMatch;
  if (type === 'Exact') path = { type: 'Exact', value };
  else if (type === 'PathPrefix') path = { type: 'Prefix', value };
  else if (type === 'RegularExpression')
    path = { type, value, regex: regex(source, 'path', value) };
  else throw new RouteCompileError(`unsupported path type ${String(type)}`, source, 'path');
  // Only the first of several entries with the same name counts (header names case-insensitive).
  const headers: ValueMatch[] = [];
  for (const h of m.headers ?? []) {
    const name = h.name.toLowerCase();
    if (!headers.some((x) => x.name === name)) headers.push(valueMatch(source, 'headers', h, name));
  }
  const query: ValueMatch[] = [];
  for (const q of m.queryParams ?? []) {
    if (!query.some((x) => x.name === q.name))
      query.push(valueMatch(source, 'queryParams', q, q.name));
  }
  const out: RouteMatch = { path, headers, query };
  if (m.method) out.method = m.method.toUpperCase();
  return out;
}

function timeoutsOf(source: string, rule: HTTPRouteRule): RouteAction['options'] {
  const ms = (field: 'request' | 'backendRequest'): number | undefined => {
    const v = rule.timeouts?.[field];
    if (v === undefined) return undefined;
    const parsed = parseGatewayDuration(v);
    if (parsed === undefined) {
      throw new RouteCompileError(
        `invalid duration ${JSON.stringify(v)}`,
        source,
        `timeouts.${field}`,
      );
    }
    return parsed;
  };
  const request = ms('request');
  const backendRequest = ms('backendRequest');
  if (request && backendRequest && backendRequest > request) {
    throw new RouteCompileError('backendRequest must not exceed request', source, 'timeouts');
  }
  const options: RouteAction['options'] = {};
  if (request !== undefined) options.requestTimeoutMs = request;
  if (backendRequest !== undefined) options.backendRequestTimeoutMs = backendRequest;
  return options;
}

function actionOf(source: string, rule: HTTPRouteRule, refs: RefChecker): RouteAction {
  const action: RouteAction = { backends: [], mirrors: [], options: timeoutsOf(source, rule) };
  for (const f of rule.filters ?? []) applyFilter(source, f, action, refs);
  if (action.redirect && action.rewrite) {
    throw new RouteCompileError(
      'RequestRedirect and URLRewrite cannot be combined',
      source,
      'filters',
    );
  }
  action.backends = (rule.backendRefs ?? []).map((ref): WeightedBackend => {
    const b: WeightedBackend = { service: refs.check(ref), weight: ref.weight ?? 1 };
    for (const f of ref.filters ?? []) {
      if (f.type === 'RequestHeaderModifier')
        b.requestHeaders = headerModifier(source, f.requestHeaderModifier);
      else if (f.type === 'ResponseHeaderModifier')
        b.responseHeaders = headerModifier(source, f.responseHeaderModifier);
      else
        throw new RouteCompileError(
          `backendRef filter ${f.type} is not supported`,
          source,
          'backendRefs',
        );
    }
    return b;
  });
  return action;
}

/**
 * Compiles the HTTPRoutes attached to one listener. Hostnames are intersected with the listener's
 * (a route with none in common is not accepted); a rule that fails to compile is left out and
 * reported, the rest of the route still serves.
 */
export function compileHttpRoutes(
  httpRoutes: readonly HTTPRoute[],
  listener: ListenerInfo = {},
  opts: HttpRouteCompileOptions = {},
): CompiledHttpRoutes {
  const out: CompiledHttpRoutes = { routes: [], statuses: [] };
  for (const hr of httpRoutes) {
    const key = objectKey(hr.metadata);
    const source = `HTTPRoute ${key}`;
    const refs = new RefChecker(hr.metadata.namespace ?? 'default', opts);
    const status: HttpRouteStatus = {
      route: key,
      accepted: true,
      reason: 'Accepted',
      resolvedRefs: true,
      refsReason: 'ResolvedRefs',
      partiallyInvalid: false,
      messages: refs.messages,
    };
    out.statuses.push(status);
    let hosts;
    try {
      hosts = intersectHostnames(listener.hostname, hr.spec.hostnames).map((h) =>
        parseHostPattern(h, true, source),
      );
    } catch (e) {
      if (!(e instanceof RouteCompileError)) throw e;
      Object.assign(status, { accepted: false, reason: 'UnsupportedValue' });
      refs.messages.push(e.message);
      continue;
    }
    if (hosts.length === 0) {
      Object.assign(status, { accepted: false, reason: 'NoMatchingListenerHostname' });
      continue;
    }
    const rules = hr.spec.rules && hr.spec.rules.length > 0 ? hr.spec.rules : [{}];
    let good = 0;
    rules.forEach((rule, ruleIndex) => {
      try {
        const action = actionOf(source, rule, refs);
        const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
        const compiled = matches.map((m) => matchOf(source, m));
        compiled.forEach((match, matchIndex) => {
          for (const host of hosts) {
            out.routes.push({
              host,
              match,
              action,
              origin: {
                api: 'gateway',
                source,
                createdMs: createdMs(hr.metadata),
                ruleIndex,
                matchIndex,
              },
            });
          }
        });
        good++;
      } catch (e) {
        if (!(e instanceof RouteCompileError)) throw e;
        status.partiallyInvalid = true;
        refs.messages.push(e.message);
      }
    });
    if (good === 0) Object.assign(status, { accepted: false, reason: 'UnsupportedValue' });
    status.resolvedRefs = refs.resolved;
    status.refsReason = refs.reason;
  }
  return out;
}
