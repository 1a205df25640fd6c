import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, RouteTable, TlsStore, compileIngresses } from '@switchyard/ingress';
import { Registry, silentLogger } from '@switchyard/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointIndex } from '../src/endpoint-index.js';
import { createProxyServers } from '../src/proxy-servers.js';

const listen = (s: Server): Promise<number> =>
  new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

function get(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createProxyServers', () => {
  const backend = createServer((req, res) => res.end(`backend ${req.url}`));
  const endpoints = new EndpointIndex();
  const registry = new Registry();
  const compiled = compileIngresses([
    {
      metadata: { name: 'web', namespace: 'ns' },
      spec: {
        rules: [
          {
            host: 'web.test',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
  ]);
  const { http, https } = createProxyServers(
    { http: new Router(new RouteTable(compiled.routes)), https: new Router(new RouteTable([])) },
    endpoints,
    new TlsStore(),
    registry,
    silentLogger,
  );
  let port = 0;

  beforeAll(async () => {
    const backendPort = await listen(backend);
    port = await listen(http);
    endpoints.setService({
      metadata: { namespace: 'ns', name: 'web' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    endpoints.setSlice({
      metadata: { namespace: 'ns', name: 'web-a', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backendPort }],
      endpoints: [{ addresses: ['127.0.0.1'] }],
    });
  });
  afterAll(async () => {
    http.closeAllConnections();
    await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => backend.close(r))]);
    backend.closeAllConnections();
  });

  it('proxies to the indexed endpoints and counts each response by server, route and code', async () => {
    expect(https.listening).toBe(false);
    for (let i = 0; i < 3; i++)
      expect(await get(port, 'web.test', `/a${i}`)).toEqual({
        status: 200,
        body: `backend /a${i}`,
      });
    expect((await get(port, 'nope.test', '/')).status).toBe(404);
    // The slice goes away: the next request sees no endpoints.
    endpoints.deleteSlice({
      metadata: { namespace: 'ns', name: 'web-a', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [],
    });
    expect((await get(port, 'web.test', '/')).status).toBe(503);
    const text = registry.render();
    expect(text).toContain(
      'switchyard_ingress_requests_total{server="http",route="Ingress ns/web",code="200"} 3\n',
    );
    expect(text).toContain(
      'switchyard_ingress_requests_total{server="http",route="Ingress ns/web",code="503"} 1\n',
    );
    expect(text).toContain(
      'switchyard_ingress_requests_total{server="http",route="none",code="404"} 1\n',
    );
    expect(text).toContain(
      'switchyard_ingress_request_duration_seconds_count{server="http",route="Ingress ns/web"} 4\n',
    );
  });
});
