import type { BackendObjectReference, HTTPHeaderFilter, HTTPRouteFilter } from './api-types.js';
import { RouteCompileError } from './errors.js';
import type { HttpRouteCompileOptions } from './compile-httproute.js';
import { parseHostPattern } from './host.js';
import { TOKEN } from './http-text.js';
import { parseCorsOrigin } from './cors.js';
import type { CorsPolicy, HeaderModifier, PathModifier, RouteAction, ServiceRef } from './route.js';

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Anything that could end a header line or the request line early (tab allowed in values). */
function hasControl(value: string, allowTab: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && !(allowTab && c === 0x09)) || c === 0x7f) return true;
  }
  return false;
}

function headerName(source: string, name: string): string {
  if (!TOKEN.test(name))
    throw new RouteCompileError(`invalid header name ${JSON.stringify(name)}`, source, 'filters');
  return name.toLowerCase();
}

function headerValue(source: string, value: string): string {
  if (hasControl(value, true)) {
    throw new RouteCompileError(
      `control character in header value ${JSON.stringify(value)}`,
      source,
      'filters',
    );
  }
  return value;
}

function pathValue(source: string, value: string): string {
  if (!value.startsWith('/') && value !== '')
    throw new RouteCompileError(
      `path ${JSON.stringify(value)} must start with "/"`,
      source,
      'filters',
    );
  if (hasControl(value, false) || value.includes(' '))
    throw new RouteCompileError(`invalid path ${JSON.stringify(value)}`, source, 'filters');
  return value;
}

function hostname(source: string, value: string): string {
  const p = parseHostPattern(value, true, source);
  if (p.kind !== 'exact')
    throw new RouteCompileError(
      `hostname ${JSON.stringify(value)} must not be a wildcard`,
      source,
      'filters',
    );
  return p.host;
}

function corsPolicy(source: string, c: NonNullable<HTTPRouteFilter['cors']>): CorsPolicy {
  const allowOrigins = (c.allowOrigins ?? []).map((o) => {
    const parsed = parseCorsOrigin(o);
    if (!parsed)
      throw new RouteCompileError(`${JSON.stringify(o)} is not an origin`, source, 'cors');
    return parsed;
  });
  const names = (list: string[] | undefined): string[] =>
    (list ?? []).map((n) => (n === '*' ? n : headerName(source, n)));
  const methods = (c.allowMethods ?? []).map((m) => {
    if (m !== '*' && !TOKEN.test(m))
      throw new RouteCompileError(`invalid method ${JSON.stringify(m)}`, source, 'cors');
    return m;
  });
  return {
    allowOrigins,
    allowMethods: methods,
    allowHeaders: names(c.allowHeaders),
    exposeHeaders: names(c.exposeHeaders),
    allowCredentials: c.allowCredentials ?? false,
    maxAgeSeconds: c.maxAge ?? 5,
  };
}

/** A header modifier with names lower-cased; invalid names or values are a compile error. */
export function headerModifier(source: string, f: HTTPHeaderFilter | undefined): HeaderModifier {
  const pairs = (list: { name: string; value: string }[] | undefined): [string, string][] =>
    (list ?? []).map((h) => [headerName(source, h.name), headerValue(source, h.value)]);
  return {
    set: pairs(f?.set),
    add: pairs(f?.add),
    remove: (f?.remove ?? []).map((n) => headerName(source, n)),
  };
}

function pathModifier(
  source: string,
  p: { type: string; replaceFullPath?: string; replacePrefixMatch?: string },
): PathModifier {
  if (p.type === 'ReplaceFullPath' && p.replaceFullPath !== undefined) {
    return { type: 'ReplaceFullPath', value: pathValue(source, p.replaceFullPath) };
  }
  if (p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch !== undefined) {
    return { type: 'ReplacePrefixMatch', value: pathValue(source, p.replacePrefixMatch) };
  }
  throw new RouteCompileError(`path modifier ${p.type} needs its value`, source, 'filters');
}

/** Resolves backend references and collects the ResolvedRefs condition for a route. */
export class RefChecker {
  resolved = true;
  reason = 'ResolvedRefs';
  readonly messages: string[] = [];
  constructor(
    private readonly namespace: string,
    private readonly opts: HttpRouteCompileOptions,
  ) {}

  /** The Service a reference points at, or undefined (and a status reason) when invalid. */
  check(ref: BackendObjectReference): ServiceRef | undefined {
    const svc: ServiceRef = {
      namespace: ref.namespace ?? this.namespace,
      name: ref.name,
      port: ref.port ?? 0,
    };
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') {
      return this.fail(
        'InvalidKind',
        `${ref.group ?? ''}/${ref.kind ?? ''} ${ref.name} is not a Service`,
      );
    }
    if (ref.port === undefined) return this.fail('UnsupportedValue', `${ref.name} needs a port`);
    if (svc.namespace !== this.namespace && !this.opts.referencePermitted?.(this.namespace, svc)) {
      return this.fail('RefNotPermitted', `no ReferenceGrant allows ${svc.namespace}/${svc.name}`);
    }
    if (this.opts.serviceExists && !this.opts.serviceExists(svc)) {
      return this.fail('BackendNotFound', `Service ${svc.namespace}/${svc.name} not found`);
    }
    return svc;
  }

  private fail(reason: string, message: string): undefined {
    this.resolved = false;
    this.reason = reason;
    this.messages.push(message);
    return undefined;
  }
}

/** Applies one rule filter to the action; unsupported or invalid filters throw. */
export function applyFilter(
  source: string,
  f: HTTPRouteFilter,
  action: RouteAction,
  refs: RefChecker,
): void {
  switch (f.type) {
    case 'RequestHeaderModifier':
      action.requestHeaders = headerModifier(source, f.requestHeaderModifier);
      return;
    case 'ResponseHeaderModifier':
      action.responseHeaders = headerModifier(source, f.responseHeaderModifier);
      return;
    case 'RequestRedirect': {
      const r = f.requestRedirect ?? {};
      const statusCode = r.statusCode ?? 302;
      if (!REDIRECT_CODES.has(statusCode))
        throw new RouteCompileError(`redirect status ${statusCode}`, source, 'filters');
      action.redirect = { statusCode };
      if (r.scheme) action.redirect.scheme = r.scheme;
      if (r.hostname) action.redirect.hostname = hostname(source, r.hostname);
      if (r.port) action.redirect.port = r.port;
      if (r.path) action.redirect.path = pathModifier(source, r.path);
      return;
    }
    case 'URLRewrite': {
      const u = f.urlRewrite ?? {};
      action.rewrite = {};
      if (u.hostname) action.rewrite.hostname = hostname(source, u.hostname);
      if (u.path) action.rewrite.path = pathModifier(source, u.path);
      return;
    }
    case 'RequestMirror': {
      const m = f.requestMirror;
      if (!m) throw new RouteCompileError('RequestMirror needs backendRef', source, 'filters');
      const service = refs.check(m.backendRef);
      const fraction =
        m.percent !== undefined
          ? m.percent / 100
          : m.fraction
            ? m.fraction.numerator / (m.fraction.denominator ?? 100)
            : 1;
      if (service)
        (action.mirrors as { service: ServiceRef; fraction: number }[]).push({ service, fraction });
      return;
    }
    case 'CORS':
      action.options.cors = corsPolicy(source, f.cors ?? {});
      return;
    default:
      throw new RouteCompileError(`filter ${f.type} is not supported`, source, 'filters');
  }
}
