import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1EndpointSlice, V1Namespace, V1Service } from '@kubernetes/client-node';
import { RouteTable, Router, TlsStore, type Ingress, type IngressClass } from '@switchyard/ingress';
import {
  Informer,
  KubeApiError,
  KubeClient,
  LeaderElector,
  Registry,
  loadKubeConfig,
  patchStatus,
  startHealthServer,
  type HealthServer,
  type Logger,
  type ResourceRef,
} from '@switchyard/kube';
import { computeState, type ControllerState } from './controller-state.js';
import { EndpointIndex } from './endpoint-index.js';
import type { Flags } from './flags.js';
import {
  GATEWAY_GROUP,
  type Gateway,
  type GatewayClass,
  type GatewayHTTPRoute,
  type ReferenceGrant,
} from './gateway-types.js';
import { SecretCache } from './secret-cache.js';
import { createProxyServers } from './proxy-servers.js';
import { planStatusWrites } from './status-plan.js';
import { TlsSync } from './tls-sync.js';

export interface SwitchyardIngress {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthPort: number;
  /** The state last swapped in (undefined before the first sync). */
  current(): ControllerState | undefined;
  isLeader(): boolean;
  /** Turns unready, waits `delayMs` (endpoints drop this pod), then stops everything. */
  close(delayMs?: number): Promise<void>;
}

/**
 * switchyard-ingress: informers -> computeState -> two atomically swapped route tables (HTTP and
 * HTTPS) + TLS store; status written by the Lease holder only; /healthz /readyz /metrics.
 */
export async function startSwitchyardIngress(
  flags: Flags,
  logger: Logger,
): Promise<SwitchyardIngress> {
  const client = new KubeClient(await loadKubeConfig(flags.kubeconfig, 'default'));
  const registry = new Registry();
  const rebuilds = registry.counter(
    'switchyard_ingress_table_swaps_total',
    'Route tables built and swapped in.',
    [],
  );
  const routesGauge = registry.gauge(
    'switchyard_ingress_routes',
    'Routes in the table in force, by server.',
    ['server'],
  );
  const statusWrites = registry.counter(
    'switchyard_ingress_status_writes_total',
    'Status patches sent, by kind and result.',
    ['kind', 'result'],
  );

  // Gateway API is optional: without its CRDs only Ingress is served (restart after installing).
  const gatewayApi = await client
    .request('GET', `/apis/${GATEWAY_GROUP}/v1`)
    .then(() => true)
    .catch((e: unknown) => {
      if (e instanceof KubeApiError && e.status === 404) return false;
      throw e;
    });
  if (!gatewayApi) logger.warn('Gateway API CRDs not installed; serving Ingress only');

  let schedule: () => void = () => undefined;
  const informers: Informer<object>[] = [];
  const informer = <T extends object>(name: string, resource: ResourceRef): Informer<T> => {
    // The informer adds `informer: name` to its own log lines.
    const inf = new Informer<T>({ client, resource, name, logger, metrics: registry });
    for (const ev of ['add', 'update', 'delete'] as const) inf.on(ev, () => schedule());
    informers.push(inf as unknown as Informer<object>);
    return inf;
  };
  const net = { group: 'networking.k8s.io', version: 'v1' };
  const ingressClasses = informer<IngressClass>('ingressclasses', {
    ...net,
    plural: 'ingressclasses',
  });
  const ingresses = informer<Ingress>('ingresses', { ...net, plural: 'ingresses' });
  const services = informer<V1Service>('services', { version: 'v1', plural: 'services' });
  const slices = informer<V1EndpointSlice>('endpointslices', {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
  });
  const gw = { group: GATEWAY_GROUP, version: 'v1' };
  const gatewayInformers = gatewayApi
    ? {
        classes: informer<GatewayClass>('gatewayclasses', { ...gw, plural: 'gatewayclasses' }),
        gateways: informer<Gateway>('gateways', { ...gw, plural: 'gateways' }),
        routes: informer<GatewayHTTPRoute>('httproutes', { ...gw, plural: 'httproutes' }),
        grants: informer<ReferenceGrant>('referencegrants', {
          group: GATEWAY_GROUP,
          version: 'v1beta1',
          plural: 'referencegrants',
        }),
        namespaces: informer<V1Namespace>('namespaces', { version: 'v1', plural: 'namespaces' }),
      }
    : undefined;

  const endpoints = new EndpointIndex();
  services.on('add', (s) => endpoints.setService(s));
  services.on('update', (s) => endpoints.setService(s));
  services.on('delete', (s) => endpoints.deleteService(s));
  slices.on('add', (s) => endpoints.setSlice(s));
  slices.on('update', (s) => endpoints.setSlice(s));
  slices.on('delete', (s) => endpoints.deleteSlice(s));

  const secrets = new SecretCache(client, logger, flags.secretResyncSeconds * 1000, () =>
    schedule(),
  );
  const tls = new TlsStore();
  const tlsSync = new TlsSync(tls, secrets, logger);
  const routers = { http: new Router(new RouteTable([])), https: new Router(new RouteTable([])) };

  const { http, https } = createProxyServers(routers, endpoints, tls, registry, logger);
  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, flags.host, () => resolve((s.address() as AddressInfo).port));
    });
  const httpPort = await listen(http, flags.httpPort);
  const httpsPort = await listen(https, flags.httpsPort);
  logger.info('serving', { host: flags.host, httpPort, httpsPort });

  let state: ControllerState | undefined;
  let synced = false;
  let closing = false;
  let leader = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let writeAgain = false;
  let loggedProblems = '[]';

  const rebuild = (): void => {
    timer = undefined;
    if (!synced || closing) return;
    const g = gatewayInformers;
    try {
      state = computeState(
        {
          ingressClasses: ingressClasses.cache.list(),
          ingresses: ingresses.cache.list(),
          gatewayClasses: g?.classes.cache.list() ?? [],
          gateways: g?.gateways.cache.list() ?? [],
          httpRoutes: g?.routes.cache.list() ?? [],
          referenceGrants: g?.grants.cache.list() ?? [],
          namespaceLabels: (ns) => g?.namespaces.cache.get(undefined, ns)?.metadata?.labels,
          serviceExists: endpoints.serviceExists,
          secretState: secrets.state,
        },
        flags,
      );
    } catch (e) {
      // Nothing the API holds may crash the proxy: keep serving the table in force.
      logger.error('route table not rebuilt; the previous one stays in force', {
        error: String(e),
      });
      return;
    }
    secrets.refresh(state.referencedSecrets);
    tlsSync.apply(state.certificates);
    routers.http.swap(state.http);
    routers.https.swap(state.https);
    rebuilds.inc();
    routesGauge.set({ server: 'http' }, state.http.size);
    routesGauge.set({ server: 'https' }, state.https.size);
    // Problems are logged when they change, not on every rebuild.
    const problems = JSON.stringify(state.ingressProblems);
    if (problems !== loggedProblems) {
      loggedProblems = problems;
      for (const p of state.ingressProblems)
        logger[p.rejected ? 'warn' : 'info']('ingress problem', { ...p });
    }
    writeStatus();
  };
  schedule = () => {
    timer ??= setTimeout(rebuild, 30);
  };

  // One status pass at a time; a change during a pass runs another after it.
  const writeStatus = (): void => {
    if (!leader || !state) return;
    writeAgain = true;
    writing = writing.then(async () => {
      while (writeAgain && leader && state && !closing) {
        writeAgain = false;
        const plan = planStatusWrites(
          state,
          { httpRoutes: gatewayInformers?.routes.cache.list() ?? [] },
          flags.publishAddresses,
          flags.gatewayController,
          new Date().toISOString(),
        );
        for (const w of plan) {
          const kind = w.what.split(' ')[0]!;
          try {
            await patchStatus(client, w.ref, w.name, w.status);
            statusWrites.inc({ kind, result: 'ok' });
            logger.debug('status written', { object: w.what });
          } catch (e) {
            statusWrites.inc({ kind, result: 'error' });
            logger.warn('status not written', { object: w.what, error: String(e) });
          }
        }
      }
    });
  };

  const elector = new LeaderElector({
    client,
    namespace: flags.electionNamespace,
    name: flags.electionName,
    identity: flags.identity,
    logger,
    metrics: registry,
    onStartedLeading: () => {
      leader = true;
      logger.info('leading: writing status');
      writeStatus();
    },
    onStoppedLeading: () => {
      leader = false;
    },
  });

  const health: HealthServer = await startHealthServer({
    port: flags.healthPort,
    host: flags.healthHost,
    registry,
    logger,
    liveness: { proxy: () => http.listening && https.listening },
    readiness: {
      informers: () => synced,
      routes: () => state !== undefined,
      shutdown: () => !closing,
    },
  });

  void Promise.all(informers.map((i) => i.start())).then(() => {
    synced = true;
    logger.info('informers synced');
    rebuild();
  });
  elector.start();
  // Re-reads due Secrets and retries status writes that failed.
  const resync = setInterval(schedule, Math.min(flags.secretResyncSeconds * 1000, 30_000));

  return {
    httpPort,
    httpsPort,
    healthPort: health.port,
    current: () => state,
    isLeader: () => leader,
    close: async (delayMs = 0) => {
      closing = true;
      clearInterval(resync);
      if (timer) clearTimeout(timer);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await elector.stop();
      await Promise.all(informers.map((i) => i.stop()));
      const closed = (s: { close(cb: () => void): unknown; closeIdleConnections(): void }) =>
        new Promise<void>((r) => {
          s.close(() => r());
          s.closeIdleConnections();
        });
      await Promise.all([closed(http), closed(https), health.close()]);
    },
  };
}
