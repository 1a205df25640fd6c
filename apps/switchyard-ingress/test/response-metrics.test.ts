import type { ResponseRecord } from '@switchyard/ingress';
import { Registry } from '@switchyard/kube';
import { describe, expect, it } from 'vitest';
import { responseMetrics } from '../src/response-metrics.js';

const record = (status: number, route: string | undefined, durationMs: number): ResponseRecord => ({
  method: 'GET',
  host: 'example.test',
  url: '/',
  status,
  ...(route === undefined ? {} : { route }),
  durationMs,
  completed: true,
});

describe('responseMetrics', () => {
  it('renders the same series and values as one inc/observe with fresh labels per response', () => {
    const registry = new Registry();
    const hooks = responseMetrics(registry);
    const hook = { http: hooks('http'), https: hooks('https') };
    // The oracle: the metrics updated the plain way, a new label object per response.
    const plain = new Registry();
    const requests = plain.counter(
      'switchyard_ingress_requests_total',
      'Requests answered, by server, route and status code.',
      ['server', 'route', 'code'],
    );
    const durations = plain.histogram(
      'switchyard_ingress_request_duration_seconds',
      'Time from request to the end of the response, by server and route.',
      ['server', 'route'],
    );
    const routes = ['Ingress ns/web', 'HTTPRoute web/weights', 'defaultBackend', undefined];
    const codes = [200, 200, 200, 404, 500, 502, 503];
    // Every server x route x code combination, each many times.
    for (let i = 0; i < 2000; i++) {
      const server = Math.floor(i / 28) % 2 === 0 ? 'http' : 'https';
      const routed = routes[Math.floor(i / 7) % routes.length];
      const r = record(codes[i % codes.length]!, routed, (i % 97) * 3.1);
      hook[server](r);
      const route = r.route ?? 'none';
      requests.inc({ server, route, code: String(r.status) });
      durations.observe({ server, route }, r.durationMs / 1000);
    }
    expect(registry.render()).toBe(plain.render());
    expect(registry.render()).toContain(
      'switchyard_ingress_requests_total{server="http",route="none",code="404"}',
    );
  });

  it('counts each response once and shares the families with metrics registered earlier', () => {
    const registry = new Registry();
    const counter = registry.counter(
      'switchyard_ingress_requests_total',
      'Requests answered, by server, route and status code.',
      ['server', 'route', 'code'],
    );
    const hook = responseMetrics(registry)('http');
    for (let i = 0; i < 5; i++) hook(record(200, 'Ingress ns/web', 1));
    hook(record(503, 'Ingress ns/web', 2));
    expect(counter.get({ server: 'http', route: 'Ingress ns/web', code: '200' })).toBe(5);
    expect(counter.get({ server: 'http', route: 'Ingress ns/web', code: '503' })).toBe(1);
    expect(registry.render()).toMatch(
      /switchyard_ingress_request_duration_seconds_count\{server="http",route="Ingress ns\/web"\} 6\n/,
    );
  });
});
