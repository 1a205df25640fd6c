// Our proxy as a standalone process for the benchmark: one route to one backend port.
// Usage: node proxy-server.mjs <listenPort> <backendPort>
import {
  Router,
  RouteTable,
  compileIngresses,
  createIngressServer,
  staticEndpoints,
} from '../dist/index.js';

const [listenPort, backendPort] = process.argv.slice(2).map(Number);
const compiled = compileIngresses([
  {
    metadata: { name: 'bench', namespace: 'default' },
    spec: {
      rules: [
        {
          host: 'bench.test',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'backend', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  },
]);
const router = new Router(new RouteTable(compiled.routes));
const server = createIngressServer(router, {
  endpoints: staticEndpoints({
    'default/backend:80': [{ address: '127.0.0.1', port: backendPort }],
  }),
});
server.listen(listenPort, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
