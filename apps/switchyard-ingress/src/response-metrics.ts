import type { ResponseRecord } from '@switchyard/ingress';
import type { Labels, Registry } from '@switchyard/kube';

/** The label objects of one route's series on one server, made once and reused. */
interface RouteSeries {
  readonly duration: Labels;
  /** Status code -> the requests counter's labels. */
  readonly codes: Map<number, Labels>;
}

/**
 * The per-response metrics of switchyard-ingress: `switchyard_ingress_requests_total{server,
 * route, code}` and `switchyard_ingress_request_duration_seconds{server, route}`. Returns a
 * factory of `onResponse` hooks, one per server. The hook runs on every proxied request, so the
 * label objects of a series are built the first time it is seen and looked up by route and
 * status code afterwards (no string building or allocation per request).
 */
export function responseMetrics(
  registry: Registry,
): (server: string) => (r: ResponseRecord) => void {
  const requests = registry.counter(
    'switchyard_ingress_requests_total',
    'Requests answered, by server, route and status code.',
    ['server', 'route', 'code'],
  );
  const durations = registry.histogram(
    'switchyard_ingress_request_duration_seconds',
    'Time from request to the end of the response, by server and route.',
    ['server', 'route'],
  );
  return (server) => {
    const routes = new Map<string | undefined, RouteSeries>();
    const seriesOf = (route: string | undefined): RouteSeries => {
      const s: RouteSeries = {
        duration: { server, route: route ?? 'none' },
        codes: new Map(),
      };
      routes.set(route, s);
      return s;
    };
    return (r) => {
      const s = routes.get(r.route) ?? seriesOf(r.route);
      let labels = s.codes.get(r.status);
      if (!labels) {
        labels = { ...s.duration, code: String(r.status) };
        s.codes.set(r.status, labels);
      }
      requests.inc(labels);
      durations.observe(s.duration, r.durationMs / 1000);
    };
  };
}
