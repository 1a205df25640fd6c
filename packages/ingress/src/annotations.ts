import { parseCorsOrigin } from './cors.js';
import type { AffinityPolicy, CorsOrigin, CorsPolicy, RouteOptions } from './route.js';

/** Our own annotation prefix; it wins over the ingress-nginx name when both are set. */
export const ANNOTATION_PREFIX = 'switchyard.dev/';
/** ingress-nginx names we honour where the meaning is the same. */
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

export interface CanaryAnnotations {
  header?: { name: string; value?: string; pattern?: RegExp };
  cookie?: string;
  weight: number;
  weightTotal: number;
}

export interface IngressAnnotations {
  options: RouteOptions;
  useRegex: boolean;
  rewriteTarget?: string;
  /** Set when the Ingress is a canary (`canary: "true"`). */
  canary?: CanaryAnnotations;
  /** undefined: follow the TLS section (redirect hosts that have TLS). */
  sslRedirect?: boolean;
  forceSslRedirect: boolean;
  /** Ignored or invalid annotations, one human-readable line each. */
  warnings: string[];
  /** Set when the whole Ingress must be refused (e.g. a snippet annotation). */
  rejected?: string;
}

const SNIPPET = /(^|-)snippets?$/;

/** Every annotation name (after the prefix) we understand. */
const KNOWN = new Set([
  'rewrite-target',
  'use-regex',
  'app-root',
  'ssl-redirect',
  'force-ssl-redirect',
  'proxy-body-size',
  'proxy-connect-timeout',
  'proxy-send-timeout',
  'proxy-read-timeout',
  'canary',
  'canary-by-header',
  'canary-by-header-value',
  'canary-by-header-pattern',
  'canary-by-cookie',
  'canary-weight',
  'canary-weight-total',
  'affinity',
  'session-cookie-name',
  'session-cookie-path',
  'session-cookie-max-age',
  'enable-cors',
  'cors-allow-origin',
  'cors-allow-methods',
  'cors-allow-headers',
  'cors-expose-headers',
  'cors-allow-credentials',
  'cors-max-age',
  'limit-rps',
  'backend-protocol',
  'limit-burst-multiplier',
]);

/** Parses an nginx size (`8m`, `512k`, `1g`, bytes without suffix); `0` means no limit. */
export function parseSize(value: string): number | undefined {
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n === 0) return Infinity;
  const unit = (m[2] ?? '').toLowerCase();
  return n * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

class Reader {
  readonly warnings: string[] = [];
  private readonly values = new Map<string, { key: string; value: string }>();

  constructor(annotations: Record<string, string>) {
    // nginx names first so that ours overwrite them.
    for (const prefix of [NGINX_PREFIX, ANNOTATION_PREFIX]) {
      for (const [key, value] of Object.entries(annotations)) {
        if (key.startsWith(prefix)) this.values.set(key.slice(prefix.length), { key, value });
      }
    }
  }

  names(): string[] {
    return [...this.values.keys()];
  }
  keyOf(name: string): string {
    return this.values.get(name)?.key ?? name;
  }
  string(name: string): string | undefined {
    const v = this.values.get(name)?.value;
    // Values end up in headers and paths: a line break or NUL could forge protocol text.
    if (v !== undefined && /[\r\n\0]/.test(v)) {
      this.warn(name, 'line breaks and NUL are not allowed');
      this.values.delete(name);
      return undefined;
    }
    return v;
  }
  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === 'false') return v === 'true';
    this.warn(name, `expected "true" or "false", got ${JSON.stringify(v)}`);
    return undefined;
  }
  int(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    this.warn(name, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return undefined;
  }
  seconds(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const m = /^\s*(\d+)s?\s*$/.exec(v);
    if (m && Number(m[1]) > 0) return Number(m[1]) * 1000;
    this.warn(name, `expected a positive number of seconds, got ${JSON.stringify(v)}`);
    return undefined;
  }
  warn(name: string, message: string): void {
    this.warnings.push(`${this.keyOf(name)}: ${message}; ignored`);
  }
}

function parseCors(r: Reader): CorsPolicy | undefined {
  if (!r.bool('enable-cors')) return undefined;
  const list = (v: string | undefined, d: string): string[] =>
    (v ?? d)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const allowOrigins: CorsOrigin[] = [];
  for (const o of list(r.string('cors-allow-origin'), '*')) {
    const parsed = parseCorsOrigin(o);
    if (parsed) allowOrigins.push(parsed);
    else r.warn('cors-allow-origin', `${JSON.stringify(o)} is not an origin`);
  }
  return {
    allowOrigins,
    allowMethods: list(r.string('cors-allow-methods'), 'GET, PUT, POST, DELETE, PATCH, OPTIONS'),
    allowHeaders: list(
      r.string('cors-allow-headers'),
      'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
    ),
    exposeHeaders: list(r.string('cors-expose-headers'), ''),
    allowCredentials: r.bool('cors-allow-credentials') ?? true,
    maxAgeSeconds: r.int('cors-max-age', 0, 2 ** 31) ?? 1728000,
  };
}

function parseAffinity(r: Reader): AffinityPolicy | undefined {
  const kind = r.string('affinity');
  if (kind === undefined) return undefined;
  if (kind !== 'cookie') {
    r.warn('affinity', `only "cookie" is supported, got ${JSON.stringify(kind)}`);
    return undefined;
  }
  const a: AffinityPolicy = { cookieName: r.string('session-cookie-name') ?? 'INGRESSCOOKIE' };
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(a.cookieName)) {
    r.warn('session-cookie-name', 'not a valid cookie name');
    return undefined;
  }
  const path = r.string('session-cookie-path');
  if (path !== undefined) a.path = path;
  const maxAge = r.int('session-cookie-max-age', 1, 2 ** 31);
  if (maxAge !== undefined) a.maxAgeSeconds = maxAge;
  return a;
}

function parseCanary(r: Reader): CanaryAnnotations | undefined {
  if (!r.bool('canary')) return undefined;
  const c: CanaryAnnotations = {
    weightTotal: r.int('canary-weight-total', 1, 1_000_000) ?? 100,
    weight: 0,
  };
  c.weight = Math.min(r.int('canary-weight', 0, 1_000_000) ?? 0, c.weightTotal);
  const header = r.string('canary-by-header');
  if (header !== undefined) {
    c.header = { name: header.toLowerCase() };
    const value = r.string('canary-by-header-value');
    const pattern = r.string('canary-by-header-pattern');
    if (value !== undefined) c.header.value = value;
    else if (pattern !== undefined) {
      try {
        c.header.pattern = new RegExp(pattern);
      } catch {
        r.warn('canary-by-header-pattern', 'not a valid regular expression');
      }
    }
  }
  const cookie = r.string('canary-by-cookie');
  if (cookie !== undefined) c.cookie = cookie;
  return c;
}

/**
 * Turns an Ingress's annotations (ours under `switchyard.dev/`, or the ingress-nginx names) into
 * route options. Nothing here is executed: snippet annotations, which carry raw proxy config,
 * reject the whole Ingress rather than being silently dropped (a snippet may have been the
 * Ingress's access control).
 */
export function parseIngressAnnotations(
  annotations: Record<string, string> | undefined,
): IngressAnnotations {
  const r = new Reader(annotations ?? {});
  const result: IngressAnnotations = {
    options: {},
    useRegex: false,
    forceSslRedirect: false,
    warnings: r.warnings,
  };
  const snippets = r.names().filter((n) => SNIPPET.test(n));
  if (snippets.length > 0) {
    result.rejected = `snippet annotations are not supported (they would run user-supplied proxy configuration): ${snippets.map((n) => r.keyOf(n)).join(', ')}`;
    return result;
  }
  for (const name of r.names()) {
    if (!KNOWN.has(name)) r.warn(name, 'not supported');
  }
  const o = result.options;
  const body = r.string('proxy-body-size');
  if (body !== undefined) {
    const size = parseSize(body);
    if (size === undefined) r.warn('proxy-body-size', `not a size: ${JSON.stringify(body)}`);
    else o.maxBodyBytes = size;
  }
  const connect = r.seconds('proxy-connect-timeout');
  if (connect !== undefined) o.connectTimeoutMs = connect;
  const send = r.seconds('proxy-send-timeout');
  if (send !== undefined) o.sendTimeoutMs = send;
  const read = r.seconds('proxy-read-timeout');
  if (read !== undefined) o.readTimeoutMs = read;
  const protocol = r.string('backend-protocol')?.toUpperCase();
  if (protocol === 'HTTPS') o.backendTls = true;
  else if (protocol !== undefined && protocol !== 'HTTP') {
    r.warn(
      'backend-protocol',
      `only HTTP and HTTPS are supported, got ${JSON.stringify(protocol)}`,
    );
  }
  const rps = r.int('limit-rps', 1, 1_000_000);
  if (rps !== undefined) {
    o.rateLimit = { rps, burst: rps * (r.int('limit-burst-multiplier', 1, 1000) ?? 5) };
  }
  const cors = parseCors(r);
  if (cors) o.cors = cors;
  const affinity = parseAffinity(r);
  if (affinity) o.affinity = affinity;
  const appRoot = r.string('app-root');
  if (appRoot !== undefined) {
    if (appRoot.startsWith('/')) o.appRoot = appRoot;
    else r.warn('app-root', 'must be a path starting with "/"');
  }
  const rewrite = r.string('rewrite-target');
  if (rewrite !== undefined) result.rewriteTarget = rewrite;
  // ingress-nginx treats paths as regular expressions whenever rewrite-target is set.
  result.useRegex = (r.bool('use-regex') ?? false) || rewrite !== undefined;
  const ssl = r.bool('ssl-redirect');
  if (ssl !== undefined) result.sslRedirect = ssl;
  result.forceSslRedirect = r.bool('force-ssl-redirect') ?? false;
  const canary = parseCanary(r);
  if (canary) result.canary = canary;
  return result;
}
