#!/usr/bin/env node
import { staticEndpoints } from '@switchyard/ingress';
import { startEchoBackend } from './echo-backend.js';
import { startGateway } from './gateway.js';
import { HOST, api, storefront } from './site.js';

// Two local processes stand in for the Services' pods.
const web = await startEchoBackend('web');
const apiBackend = await startEchoBackend('api');
const gateway = await startGateway({
  ingresses: [storefront, api],
  endpoints: staticEndpoints({
    'shop/web:80': [{ address: '127.0.0.1', port: web.port }],
    'shop/api:8080': [{ address: '127.0.0.1', port: apiBackend.port }],
  }),
  port: Number(process.argv[2] ?? 8080),
  onResponse: (r) => console.log(JSON.stringify(r)),
});
for (const p of gateway.problems) console.error(`ingress ${p.ingress}: ${p.message}`);
console.log(`routing ${HOST} on ${gateway.url}; try:`);
console.log(`  curl -i -H 'Host: ${HOST}' ${gateway.url}/`);
console.log(`  curl -H 'Host: ${HOST}' ${gateway.url}/api/items?page=2`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([gateway.close(), web.close(), apiBackend.close()]);
  });
}
