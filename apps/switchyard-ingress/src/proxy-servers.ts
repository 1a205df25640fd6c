import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createIngressServer, type Router, type TlsStore } from '@switchyard/ingress';
import type { Logger, Registry } from '@switchyard/kube';
import type { EndpointIndex } from './endpoint-index.js';
import { responseMetrics } from './response-metrics.js';

export interface ProxyServers {
  readonly http: HttpServer;
  readonly https: HttpsServer;
}

/**
 * The two proxy servers of switchyard-ingress (not listening yet): endpoints from the index,
 * per-response metrics in `registry`, proxy events logged. Kept apart from the app so the
 * ingress bench runs exactly this wiring.
 */
export function createProxyServers(
  routers: { readonly http: Router; readonly https: Router },
  endpoints: EndpointIndex,
  tls: TlsStore,
  registry: Registry,
  logger: Logger,
): ProxyServers {
  const onResponse = responseMetrics(registry);
  const onEvent = (e: { level: 'warn' | 'error'; msg: string }): void =>
    logger[e.level](e.msg, { ...e });
  const http = createIngressServer(routers.http, {
    endpoints: endpoints.resolve,
    onResponse: onResponse('http'),
    onEvent,
  }) as HttpServer;
  const https = createIngressServer(routers.https, {
    endpoints: endpoints.resolve,
    tls,
    onResponse: onResponse('https'),
    onEvent,
  }) as HttpsServer;
  return { http, https };
}
