export type * from './api-types.js';
export { RequestPathError, RouteCompileError, TlsConfigError } from './errors.js';
export {
  formatHostPattern,
  hostMatches,
  intersectHostnames,
  normalizeHost,
  parseHostPattern,
  type HostPattern,
} from './host.js';
export { normalizeRequestTarget, type RequestTarget } from './path-normalize.js';
export { modifyPath, pathMatches, replacePrefix } from './path-match.js';
export type * from './route.js';
export { RouteTable, type RequestView } from './route-table.js';
export { comparePrecedence } from './precedence.js';
export { Router } from './router.js';
export {
  ANNOTATION_PREFIX,
  NGINX_PREFIX,
  parseIngressAnnotations,
  parseSize,
  type CanaryAnnotations,
  type IngressAnnotations,
} from './annotations.js';
export {
  DEFAULT_CLASS_ANNOTATION,
  LEGACY_CLASS_ANNOTATION,
  selectOwnedIngresses,
} from './ingress-class.js';
export {
  compileIngresses,
  type CompiledIngresses,
  type IngressProblem,
} from './compile-ingress.js';
export {
  compileHttpRoutes,
  type CompiledHttpRoutes,
  type HttpRouteCompileOptions,
  type HttpRouteStatus,
  type ListenerInfo,
} from './compile-httproute.js';
export { staticEndpoints, serviceKey, type Endpoint, type EndpointResolver } from './endpoints.js';
export { pickWeighted } from './backend-picker.js';
export { decide, type Decision, type Forward, type IncomingInfo, type Respond } from './decide.js';
export { UpstreamError } from './forward.js';
export type { ProxyEvent, ProxyOptions, ResponseRecord } from './proxy-options.js';
export { createProxyHandler, type RequestHandler } from './proxy-handler.js';
export { createUpgradeHandler, type UpgradeHandler } from './upgrade-handler.js';
export { TlsStore, type CertificatePair } from './tls-store.js';
export { createIngressServer, type IngressServerOptions } from './server.js';
export { buildRouteTable, type BuiltRoutes, type RouteSources } from './route-sources.js';
export { certificateFromSecret, type TlsSecret } from './tls-secret.js';
export { RateLimiter, type RateLimit } from './rate-limiter.js';
