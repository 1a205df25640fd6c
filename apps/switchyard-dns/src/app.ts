import { readFile } from 'node:fs/promises';
import type {
  V1ConfigMap,
  V1EndpointSlice,
  V1Namespace,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import { renderPrometheus, startDnsServer, type DnsServer } from '@switchyard/dns';
import {
  Informer,
  KubeClient,
  Registry,
  loadKubeConfig,
  type Logger,
  type ResourceRef,
} from '@switchyard/kube';
import { KUBEADM_DEFAULTS, corefileConfig, type DnsConfig } from './dns-config.js';
import { DnsRuntime } from './dns-runtime.js';
import type { Flags } from './flags.js';
import { startHttpEndpoint, type HttpEndpoint } from './http-endpoint.js';

export interface SwitchyardDns {
  readonly runtime: DnsRuntime;
  readonly dns: DnsServer;
  readonly health: HttpEndpoint;
  readonly ready: HttpEndpoint;
  readonly metrics: HttpEndpoint;
  /** True once every informer listed and the Corefile (if any) was read. */
  isReady(): boolean;
  /** Stops being ready, keeps answering for `lameduckMs` (CoreDNS's `health { lameduck }`), stops. */
  close(lameduckMs?: number): Promise<void>;
}

/** Informer objects in, zone updates out; a rejected object is logged and skipped. */
type ZoneFeed<T> = { upsert: (o: T) => void; remove: (o: T) => void };

/**
 * switchyard-dns: the cluster zone fed by informers (Services, EndpointSlices, Namespaces, and
 * Pods while `pods verified`), served on UDP/TCP with the Corefile's settings, reloaded when the
 * ConfigMap changes; `/health`, `/ready` and `/metrics` on their own ports.
 */
export async function startSwitchyardDns(flags: Flags, logger: Logger): Promise<SwitchyardDns> {
  const dnsLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, f?: object): void =>
    logger[level](msg, f as Record<string, unknown>);
  const client = new KubeClient(await loadKubeConfig(flags.kubeconfig, 'default'));
  const registry = new Registry();
  const reloads = registry.counter(
    'coredns_reload_failed_total',
    'Corefile reloads that failed (the previous config stays in force).',
    [],
  );

  const withOverrides = (c: DnsConfig): DnsConfig => ({ ...c, ...flags.overrides });
  let base = KUBEADM_DEFAULTS;
  if ('file' in flags.corefile) base = loadCorefile(await readFile(flags.corefile.file, 'utf8'));
  const runtime = await DnsRuntime.create(withOverrides(base), {
    host: flags.host,
    port: flags.dnsPort,
    nameserverIps: flags.nameserverIps,
    log: dnsLog,
  });
  const { zone } = runtime;

  function loadCorefile(text: string): DnsConfig {
    const parsed = corefileConfig(text);
    logger.info('Corefile read', {
      ignoredPlugins: parsed.ignoredPlugins,
      ignoredOptions: parsed.ignoredOptions,
    });
    return parsed.config;
  }

  const makeInformer = <T extends object>(
    name: string,
    resource: ResourceRef,
    feed: ZoneFeed<T>,
    extra: { fieldSelector?: string } = {},
  ): Informer<T> => {
    // The informer adds `informer: name` to its own log lines.
    const inf = new Informer<T>({ client, resource, name, logger, metrics: registry, ...extra });
    const guarded =
      (fn: (o: T) => void) =>
      (o: T): void => {
        try {
          fn(o);
        } catch (e) {
          const meta = (o as { metadata?: { namespace?: string; name?: string } }).metadata;
          logger.warn('object skipped', { informer: name, object: meta, error: String(e) });
        }
      };
    inf.on('add', guarded(feed.upsert));
    inf.on('update', guarded(feed.upsert));
    inf.on('delete', guarded(feed.remove));
    return inf;
  };

  const services = makeInformer<V1Service>(
    'services',
    { version: 'v1', plural: 'services' },
    { upsert: (o) => zone.upsertService(o), remove: (o) => zone.deleteService(o) },
  );
  const slices = makeInformer<V1EndpointSlice>(
    'endpointslices',
    { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
    { upsert: (o) => zone.upsertEndpointSlice(o), remove: (o) => zone.deleteEndpointSlice(o) },
  );
  const namespaces = makeInformer<V1Namespace>(
    'namespaces',
    { version: 'v1', plural: 'namespaces' },
    { upsert: (o) => zone.upsertNamespace(o), remove: (o) => zone.deleteNamespace(o) },
  );
  const zoneInformers = [services, slices, namespaces];

  // Pods are watched only while `pods verified` is in force: in the other modes they are not
  // needed, and a large cluster's pod list is the most expensive thing to keep.
  let pods: Informer<V1Pod> | undefined;
  const syncPodsInformer = async (): Promise<void> => {
    const want = runtime.config.podMode === 'verified';
    if (want && !pods) {
      pods = makeInformer<V1Pod>(
        'pods',
        { version: 'v1', plural: 'pods' },
        { upsert: (o) => zone.upsertPod(o), remove: (o) => zone.deletePod(o) },
        { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' },
      );
      void pods.start();
    } else if (!want && pods) {
      const old = pods;
      pods = undefined;
      await old.stop();
      for (const p of old.cache.list()) zone.deletePod(p);
    }
  };

  // Reloads run one at a time, in the order the ConfigMap changed.
  let applying: Promise<void> = Promise.resolve();
  const applyConfig = (make: () => DnsConfig, why: string): void => {
    applying = applying.then(async () => {
      try {
        const config = withOverrides(make());
        await runtime.apply(config);
        logger.info('config applied', { reason: why, config });
        await syncPodsInformer();
      } catch (e) {
        reloads.inc();
        logger.error('config rejected; the previous one stays in force', {
          reason: why,
          error: String(e),
        });
      }
    });
  };

  let corefileInformer: Informer<V1ConfigMap> | undefined;
  if ('configMap' in flags.corefile) {
    const { namespace, name } = flags.corefile.configMap;
    corefileInformer = new Informer<V1ConfigMap>({
      client,
      resource: { version: 'v1', plural: 'configmaps', namespace },
      fieldSelector: `metadata.name=${name}`,
      name: 'corefile',
      logger,
      metrics: registry,
    });
    // Only a changed Corefile is applied: a reload rebuilds the forwarder, which empties the
    // cache, and a label or annotation edit should not do that.
    let lastText: string | undefined;
    const fromConfigMap = (cm: V1ConfigMap): void => {
      const text = cm.data?.['Corefile'];
      if (text === undefined) {
        reloads.inc();
        logger.error(`ConfigMap ${namespace}/${name} has no Corefile key; config unchanged`);
        return;
      }
      if (text === lastText) return;
      lastText = text;
      applyConfig(() => loadCorefile(text), `ConfigMap ${namespace}/${name}`);
    };
    corefileInformer.on('add', fromConfigMap);
    corefileInformer.on('update', fromConfigMap);
    corefileInformer.on('delete', () =>
      logger.warn(`ConfigMap ${namespace}/${name} deleted; keeping the config in force`),
    );
  }
  await syncPodsInformer();

  const dns = await startDnsServer({
    handler: runtime.handler,
    host: flags.host,
    port: flags.dnsPort,
    log: dnsLog,
  });

  let closing = false;
  let configRead = !corefileInformer;
  const isReady = (): boolean =>
    !closing && configRead && zone.isSynced && (pods === undefined || pods.hasSynced);

  const serverLabel = `dns://:${dns.port}`;
  const health = await startHttpEndpoint(flags.httpHost, flags.healthPort, '/health', () => ({
    status: 200,
    body: 'OK',
  }));
  const ready = await startHttpEndpoint(flags.httpHost, flags.readyPort, '/ready', () =>
    isReady() ? { status: 200, body: 'OK' } : { status: 503, body: notReadyReason() },
  );
  const metrics = await startHttpEndpoint(flags.httpHost, flags.metricsPort, '/metrics', () => ({
    status: 200,
    body: renderPrometheus(runtime.metrics, serverLabel) + registry.render(),
    contentType: Registry.contentType,
  }));

  logger.info('serving', {
    dns: `${dns.host}:${dns.port}`,
    health: health.port,
    ready: ready.port,
    metrics: metrics.port,
    config: runtime.config,
  });

  function notReadyReason(): string {
    if (closing) return 'shutting down\n';
    const waiting = [
      ...zoneInformers,
      ...(pods ? [pods] : []),
      ...(corefileInformer ? [corefileInformer] : []),
    ]
      .filter((i) => !i.hasSynced)
      .map((i) => i.name);
    return `waiting for: ${waiting.join(', ') || 'config'}\n`;
  }

  if (corefileInformer) {
    void corefileInformer.start().then(() => {
      if (corefileInformer.cache.list().length === 0)
        logger.warn('no Corefile ConfigMap; serving kubeadm defaults and flags', {
          configMap: flags.corefile,
        });
      // Ready only once the Corefile it found (if any) is in force.
      void applying.then(() => (configRead = true));
    });
  }
  void Promise.all(zoneInformers.map((i) => i.start())).then(() => {
    zone.markSynced();
    logger.info('zone synced', { serial: zone.serial });
  });

  return {
    runtime,
    dns,
    health,
    ready,
    metrics,
    isReady,
    close: async (lameduckMs = 0) => {
      closing = true;
      if (lameduckMs > 0) await new Promise((r) => setTimeout(r, lameduckMs));
      await Promise.all([
        ...zoneInformers.map((i) => i.stop()),
        corefileInformer?.stop(),
        pods?.stop(),
      ]);
      await Promise.all([dns.close(), health.close(), ready.close(), metrics.close()]);
    },
  };
}
