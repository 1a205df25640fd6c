import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type HealthServer,
  Informer,
  KubeClient,
  type Logger,
  Registry,
  startHealthServer,
} from '@switchyard/kube';
import {
  type EndpointSlice,
  HEADLESS_LABEL,
  type NodeInfo,
  NodeNotReadyError,
  type NodeObject,
  SERVICE_PROXY_NAME_LABEL,
  type Service,
  nodeInfo,
  sameNodeInfo,
} from '@switchyard/proxy-rules';
import type { ProxyOptions } from './options.js';
import { Proxier } from './proxier.js';

type Obj<T> = KubernetesObject & T;

/**
 * switchyard-proxy wired to the API server: informers for its own Node, Services and
 * EndpointSlices feed a Proxier; one HTTP server answers /healthz (syncs keep up), /readyz (the
 * first full sync is in the kernel) and /metrics (sync and programming latency, informers).
 */
export class ProxyApp {
  readonly registry = new Registry();
  readonly nodes: Informer<Obj<NodeObject>>;
  readonly services: Informer<Obj<Service>>;
  readonly slices: Informer<Obj<EndpointSlice>>;
  private proxier: Proxier | undefined;
  private health: HealthServer | undefined;
  private nodeWaiters: ((info: NodeInfo | undefined) => void)[] = [];
  private stopped = false;

  private constructor(
    readonly options: ProxyOptions,
    private readonly log: Logger,
    client: KubeClient,
  ) {
    const common = { client, logger: log, metrics: this.registry };
    this.nodes = new Informer({
      ...common,
      resource: { version: 'v1', plural: 'nodes' },
      name: 'nodes',
      fieldSelector: `metadata.name=${options.nodeName}`,
    });
    // The same selectors as kube-proxy: objects meant for another proxy, and headless services'
    // slices, are not even fetched.
    this.services = new Informer({
      ...common,
      resource: { version: 'v1', plural: 'services' },
      name: 'services',
      labelSelector: `!${SERVICE_PROXY_NAME_LABEL}`,
    });
    this.slices = new Informer({
      ...common,
      resource: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
      name: 'endpointslices',
      labelSelector: `!${SERVICE_PROXY_NAME_LABEL},!${HEADLESS_LABEL}`,
    });
  }

  /**
   * Starts the health server at once, then waits for this node's Node (with a pod CIDR unless
   * cluster CIDRs were given), lists Services and EndpointSlices and starts syncing. Resolves when
   * syncing has started; `ready` turns true after the first full sync.
   */
  static async start(
    options: ProxyOptions,
    log: Logger,
    // Whatever KubeClient authenticates with (what `loadKubeConfig` returns).
    kubeConfig: ConstructorParameters<typeof KubeClient>[0],
  ): Promise<ProxyApp> {
    const app = new ProxyApp(options, log, new KubeClient(kubeConfig));
    try {
      await app.run();
    } catch (e) {
      await app.stop();
      throw e;
    }
    return app;
  }

  get healthUrl(): string | undefined {
    return this.health?.url;
  }

  get ready(): boolean {
    return this.proxier?.ready ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.nodeWaiters.splice(0)) w(undefined);
    await Promise.all([this.nodes.stop(), this.services.stop(), this.slices.stop()]);
    await this.proxier?.stop();
    await this.health?.close();
  }

  private async run(): Promise<void> {
    this.health = await startHealthServer({
      host: this.options.healthHost,
      port: this.options.healthPort,
      registry: this.registry,
      logger: this.log,
      liveness: { sync: () => this.proxier?.healthy ?? true },
      readiness: {
        'informer/nodes': () => this.nodes.hasSynced,
        'informer/services': () => this.services.hasSynced,
        'informer/endpointslices': () => this.slices.hasSynced,
        'rules-synced': () => this.ready,
      },
    });
    this.nodes.on('add', (n) => this.nodeChanged(n));
    this.nodes.on('update', (n) => this.nodeChanged(n));
    void this.nodes.start();
    const node = await new Promise<NodeInfo | undefined>((resolve) =>
      this.nodeWaiters.push(resolve),
    );
    if (this.stopped || !node) return;
    const proxier = new Proxier({
      node,
      table: this.options.table,
      masqueradeBit: this.options.masqueradeBit,
      minSyncPeriodMs: this.options.minSyncPeriodMs,
      syncPeriodMs: this.options.syncPeriodMs,
      fullSyncPeriodMs: this.options.fullSyncPeriodMs,
      healthCheckHost: this.options.healthHost,
      logger: this.log,
      metrics: this.registry,
    });
    this.proxier = proxier;
    const meta = (o: KubernetesObject): [string, string] => [
      o.metadata?.namespace ?? '',
      o.metadata?.name ?? '',
    ];
    this.services.on('add', (s) => proxier.upsertService(s));
    this.services.on('update', (s) => proxier.upsertService(s));
    this.services.on('delete', (s) => proxier.deleteService(...meta(s)));
    const slice = (s: Obj<EndpointSlice>): void =>
      proxier.upsertEndpointSlice(s, !this.slices.hasSynced);
    this.slices.on('add', slice);
    this.slices.on('update', slice);
    this.slices.on('delete', (s) => proxier.deleteEndpointSlice(...meta(s)));
    await Promise.all([this.services.start(), this.slices.start()]);
    if (this.stopped) return;
    proxier.start();
    this.log.info('syncing', {
      node: node.name,
      addresses: node.addresses,
      clusterCIDRs: node.clusterCIDRs,
    });
  }

  private nodeChanged(obj: NodeObject): void {
    let info: NodeInfo;
    try {
      info = nodeInfo(obj, this.options.clusterCidrs, this.options.nodePortAddresses);
    } catch (e) {
      if (!(e instanceof NodeNotReadyError)) throw e;
      this.log.info('waiting for the node', { reason: e.message });
      return;
    }
    const waiters = this.nodeWaiters;
    this.nodeWaiters = [];
    for (const w of waiters) w(info);
    if (!this.proxier || sameNodeInfo(this.proxier.nodeInfo, info)) return;
    try {
      this.proxier.setNode(info);
      this.log.info('node changed: rebuilding every service', {
        addresses: info.addresses,
        zone: info.zone,
      });
    } catch (e) {
      this.log.error('unusable node description; keeping the previous one', { error: e });
    }
  }
}
