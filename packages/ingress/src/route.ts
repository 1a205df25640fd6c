import type { HostPattern } from './host.js';
import type { RateLimit } from './rate-limiter.js';

/**
 * The compiled route model both Ingress and HTTPRoute objects turn into. Everything here is plain
 * data (plus pre-built RegExps) so a table can be built once and shared by every request.
 */

/** A Service port a backend points at; the endpoint resolver turns it into addresses. */
export interface ServiceRef {
  namespace: string;
  name: string;
  /** Service port number, or the port name (Ingress allows either). */
  port: number | string;
}

export interface HeaderModifier {
  set: readonly (readonly [string, string])[];
  add: readonly (readonly [string, string])[];
  remove: readonly string[];
}

export interface WeightedBackend {
  /** undefined: an invalid reference; its share of traffic is answered with 500. */
  service: ServiceRef | undefined;
  weight: number;
  requestHeaders?: HeaderModifier;
  responseHeaders?: HeaderModifier;
}

export type PathMatch =
  | { type: 'Exact'; value: string }
  | { type: 'Prefix'; value: string }
  | { type: 'RegularExpression'; value: string; regex: RegExp };

export interface ValueMatch {
  name: string;
  exact?: string;
  regex?: RegExp;
}

export interface RouteMatch {
  path: PathMatch;
  method?: string;
  /** Header names lower-cased. */
  headers: readonly ValueMatch[];
  query: readonly ValueMatch[];
}

export type PathModifier =
  | { type: 'ReplaceFullPath'; value: string }
  | { type: 'ReplacePrefixMatch'; value: string }
  /** Ingress rewrite-target: the route's path regex applied to the path, `$n` substituted. */
  | { type: 'RegexReplace'; regex: RegExp; replacement: string };

export interface Redirect {
  scheme?: 'http' | 'https';
  hostname?: string;
  port?: number;
  path?: PathModifier;
  statusCode: number;
}

export interface Mirror {
  service: ServiceRef;
  /** Fraction of requests mirrored, 0..1. */
  fraction: number;
}

/** An allowed CORS origin: `*`, or scheme + host (with `*` wildcards) + port. */
export type CorsOrigin = '*' | { scheme: string; host: RegExp; port: number };

export interface CorsPolicy {
  allowOrigins: readonly CorsOrigin[];
  /** Method names, or `*`. */
  allowMethods: readonly string[];
  /** Header names, or `*`. */
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  allowCredentials: boolean;
  maxAgeSeconds: number;
}

export interface AffinityPolicy {
  cookieName: string;
  path?: string;
  maxAgeSeconds?: number;
}

export interface Canary {
  backends: readonly WeightedBackend[];
  /** Request header that selects the canary: value "always"/"never", or `value`/`pattern`. */
  header?: { name: string; value?: string; pattern?: RegExp };
  cookie?: string;
  /** Share of the remaining traffic sent to the canary: weight / weightTotal. */
  weight: number;
  weightTotal: number;
}

/** Per-route proxy settings (Ingress annotations; defaults come from the proxy options). */
export interface RouteOptions {
  maxBodyBytes?: number;
  connectTimeoutMs?: number;
  sendTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Whole request/response deadline (HTTPRoute timeouts.request); 0 = none. */
  requestTimeoutMs?: number;
  /** Deadline per backend attempt (HTTPRoute timeouts.backendRequest); 0 = none. */
  backendRequestTimeoutMs?: number;
  /** 308 to https for plain-HTTP requests. */
  sslRedirect?: boolean;
  cors?: CorsPolicy;
  affinity?: AffinityPolicy;
  /** Speak HTTPS to the backend (ingress-nginx backend-protocol: HTTPS). */
  backendTls?: boolean;
  /** Per client address; over it the proxy answers 503 (ingress-nginx limit-rps). */
  rateLimit?: RateLimit;
  /** Ingress app-root: `/` redirects (302) here. */
  appRoot?: string;
}

export interface RouteAction {
  backends: readonly WeightedBackend[];
  requestHeaders?: HeaderModifier;
  responseHeaders?: HeaderModifier;
  redirect?: Redirect;
  rewrite?: { hostname?: string; path?: PathModifier };
  mirrors: readonly Mirror[];
  canary?: Canary;
  options: RouteOptions;
}

/** Tie-breakers after the match itself: oldest source, then namespace/name, then position. */
export interface RouteOrigin {
  /**
   * Which API's host semantics apply: an Ingress host is a virtual host (a request is matched
   * only against the most specific host that has rules); a Gateway API request is matched
   * against the rules of every route whose hostname covers it.
   */
  api: 'ingress' | 'gateway';
  /** "Ingress ns/name" or "HTTPRoute ns/name". */
  source: string;
  createdMs: number;
  ruleIndex: number;
  matchIndex: number;
}

export interface Route {
  host: HostPattern;
  match: RouteMatch;
  action: RouteAction;
  origin: RouteOrigin;
}
