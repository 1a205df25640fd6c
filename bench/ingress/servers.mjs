// The Node proxies bench/ingress/compare.mjs runs, one per process, all with the same routes to
// the same backend (bench.test: Prefix /api, Exact /healthz, Prefix /; other.test: Prefix /).
// Usage: node servers.mjs <standalone|embedded|fastify> <listenPort> <backendPort>
//   standalone  createIngressServer (the switchyard-ingress server: fast path + general handler)
//   embedded    createProxyHandler inside a plain node:http server (the embedding API)
//   fastify     fastify 5 + @fastify/http-proxy 11 (undici keep-alive pool), host-agnostic
import { createServer } from 'node:http';
import {
  Router,
  RouteTable,
  compileIngresses,
  createIngressServer,
  createProxyHandler,
  staticEndpoints,
} from '@switchyard/ingress';

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

if (kind === 'standalone') {
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
