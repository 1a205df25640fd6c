// The Node proxies bench/ingress/compare.mjs runs, one per process, all with the same routes to
// the same backend (bench.test: Prefix /api, Exact /healthz, Prefix /; other.test: Prefix /).
// Usage: node servers.mjs <standalone|library|embedded|fastify> <listenPort> <backendPort>
//   standalone  the switchyard-ingress app's HTTP server as the app builds it (createProxyServers
//               from apps/switchyard-ingress/dist: createIngressServer with the app's
//               EndpointIndex fed a Service + EndpointSlice per backend, its per-response metrics
//               hook and its event logger); build it with
//               npx tsc -b apps/switchyard-ingress/tsconfig.lib.json
//   library     createIngressServer alone (staticEndpoints, no hooks): what the bench measured
//               before session 3, to show what the app's wiring costs in the same run
//   embedded    createProxyHandler inside a plain node:http server (the embedding API)
//   fastify     fastify 5 + @fastify/http-proxy 11 (undici keep-alive pool), host-agnostic
import { createServer } from 'node:http';
import {
  Router,
  RouteTable,
  TlsStore,
  compileIngresses,
  createIngressServer,
  createProxyHandler,
  staticEndpoints,
} from '@switchyard/ingress';
import { Registry, createLogger } from '@switchyard/kube';
import { EndpointIndex } from '../../apps/switchyard-ingress/dist/endpoint-index.js';
import { createProxyServers } from '../../apps/switchyard-ingress/dist/proxy-servers.js';

const [kind, listenPort, backendPort] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
];

const backend = (name) => ({ service: { name, port: { number: 80 } } });
const rule = (host, paths) => ({
  host,
  http: {
    paths: paths.map(([path, pathType, svc]) => ({ path, pathType, backend: backend(svc) })),
  },
});
export const ingresses = [
  {
    metadata: { name: 'bench', namespace: 'default' },
    spec: {
      rules: [
        rule('bench.test', [
          ['/api', 'Prefix', 'api'],
          ['/healthz', 'Exact', 'health'],
          ['/', 'Prefix', 'web'],
        ]),
        rule('other.test', [['/', 'Prefix', 'web']]),
      ],
    },
  },
];

function router() {
  const compiled = compileIngresses(ingresses);
  if (compiled.problems.length > 0) throw new Error(JSON.stringify(compiled.problems));
  return new Router(new RouteTable(compiled.routes, compiled.fallback));
}

const ep = [{ address: '127.0.0.1', port: backendPort }];
const endpoints = staticEndpoints({
  'default/api:80': ep,
  'default/health:80': ep,
  'default/web:80': ep,
});
const ready = () => console.log('ready');

/** The app's index as its informers would fill it: a Service and one EndpointSlice per backend. */
function appEndpoints() {
  const index = new EndpointIndex();
  for (const name of ['api', 'health', 'web']) {
    index.setService({
      metadata: { namespace: 'default', name },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    index.setSlice({
      metadata: {
        namespace: 'default',
        name: `${name}-abcde`,
        labels: { 'kubernetes.io/service-name': name },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    });
  }
  return index;
}

if (kind === 'standalone') {
  const routers = { http: router(), https: new Router(new RouteTable([])) };
  const { http } = createProxyServers(
    routers,
    appEndpoints(),
    new TlsStore(),
    new Registry(),
    createLogger({ write: (line) => process.stderr.write(line) }),
  );
  http.listen(listenPort, '127.0.0.1', ready);
} else if (kind === 'library') {
  createIngressServer(router(), { endpoints }).listen(listenPort, '127.0.0.1', ready);
} else if (kind === 'embedded') {
  createServer({ keepAliveTimeout: 60_000 }, createProxyHandler(router(), { endpoints })).listen(
    listenPort,
    '127.0.0.1',
    ready,
  );
} else if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: `http://127.0.0.1:${backendPort}`, prefix: '/' });
  await app.listen({ port: listenPort, host: '127.0.0.1' });
  ready();
} else {
  throw new Error(`unknown kind ${kind}`);
}
process.on('SIGTERM', () => process.exit(0));
