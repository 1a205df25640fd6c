import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  RouteTable,
  Router,
  compileIngresses,
  createProxyHandler,
  createUpgradeHandler,
  type EndpointResolver,
  type Ingress,
  type IngressProblem,
  type ResponseRecord,
} from '@switchyard/ingress';

export interface GatewayOptions {
  ingresses: readonly Ingress[];
  /** Ready endpoints per Service port; a controller feeds this from EndpointSlices. */
  endpoints: EndpointResolver;
  host?: string;
  port: number;
  /** One record per request, e.g. for an access log. */
  onResponse?: (record: ResponseRecord) => void;
}

export interface Gateway {
  readonly url: string;
  /** Problems of the Ingresses last compiled (rejected ones are not served). */
  readonly problems: readonly IngressProblem[];
  /** Recompiles and swaps the table: requests in flight finish on the table they started with. */
  update(ingresses: readonly Ingress[]): readonly IngressProblem[];
  close(): Promise<void>;
}

/**
 * A plain `node:http` server with the ingress router inside. The library keeps no state across
 * updates: each change compiles a whole new immutable RouteTable and swaps it in.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const router = new Router();
  let problems: readonly IngressProblem[] = [];
  const update = (ingresses: readonly Ingress[]): readonly IngressProblem[] => {
    const compiled = compileIngresses(ingresses);
    router.swap(new RouteTable(compiled.routes, compiled.fallback));
    problems = compiled.problems;
    return problems;
  };
  update(options.ingresses);

  const proxy = { endpoints: options.endpoints, onResponse: options.onResponse };
  const server: Server = createServer(
    { headersTimeout: 20_000, requestTimeout: 60_000 },
    createProxyHandler(router, proxy),
  );
  server.on('upgrade', createUpgradeHandler(router, proxy));
  await new Promise<void>((resolve) =>
    server.listen(options.port, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    get problems() {
      return problems;
    },
    update,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from clients would hold close() open.
        server.closeAllConnections();
      }),
  };
}
