// @switchyard/kube against the testbed's real kube-apiserver: informers through add/update/delete,
// an apiserver restart, a 410 after etcd compaction, a frozen apiserver, RBAC denial and grant;
// Lease leader election handovers; patch helpers; the health/metrics server.
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type CoreV1Event,
  type V1ConfigMap,
  type V1Service,
} from '@kubernetes/client-node';
import {
  Informer,
  KubeApiError,
  KubeClient,
  LeaderElector,
  Registry,
  microTime,
  patchAnnotations,
  patchObject,
  patchStatus,
  startHealthServer,
  updateWithRetry,
} from '@switchyard/kube';
import { run } from '@switchyard/linux';
import { type Testbed, pauseApiserver, restartApiserver, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers.js';
import { CutProxy } from './cut-proxy.js';

const NAME = `kb${process.pid}`.slice(0, 12);
const UNDERLAY = '172.31.242.0/24';
// Quick retries so recoveries fit in a test; production keeps the defaults.
const FAST = { backoff: { initialMs: 100, maxMs: 1000 } };

let tb: Testbed;
let core: CoreV1Api;
let admin: KubeClient;
let proxy: CutProxy;
const stopLater: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  tb = await startTestbed({ name: NAME, nodes: 1, underlay: UNDERLAY });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
  admin = new KubeClient(tb.kubeConfig);
  const server = new URL(tb.kubeConfig.getCurrentCluster()!.server);
  proxy = await CutProxy.start({ host: server.hostname, port: Number(server.port) });
  for (const ns of ['inf', 'restart', 'gone', 'frozen', 'leader', 'rbac', 'patch']) {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  }
});

afterAll(async () => {
  for (const s of stopLater) await s.stop().catch(() => undefined);
  await proxy?.close();
  await tb?.down();
});

function configMaps(namespace: string, client = admin, extra = {}): Informer<V1ConfigMap> {
  const inf = new Informer<V1ConfigMap>({
    client,
    resource: { version: 'v1', plural: 'configmaps', namespace },
    name: `configmaps/${namespace}`,
    ...FAST,
    ...extra,
  });
  stopLater.push(inf);
  return inf;
}

/** Records every handler call as `verb name` (plus data.v for adds and updates). */
function record(inf: Informer<V1ConfigMap>): string[] {
  const log: string[] = [];
  const v = (o: V1ConfigMap): string => (o.data?.v ? `=${o.data.v}` : '');
  inf.on('add', (o) => log.push(`add ${o.metadata!.name}${v(o)}`));
  inf.on('update', (o) => log.push(`update ${o.metadata!.name}${v(o)}`));
  inf.on('delete', (o) => log.push(`delete ${o.metadata!.name}`));
  return log;
}

async function createCm(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels = {},
): Promise<void> {
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels }, data } });
}

async function replaceCm(
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<void> {
  await core.patchNamespacedConfigMap({
    namespace,
    name,
    body: [{ op: 'replace', path: '/data', value: data }],
  });
}

/** The server's own view: sorted `name@resourceVersion`. */
async function serverState(namespace: string): Promise<string[]> {
  const list = await core.listNamespacedConfigMap({ namespace });
  return versions(list.items);
}

function cacheState(inf: Informer<V1ConfigMap>, namespace: string): string[] {
  return versions(inf.cache.list(namespace));
}

function versions(items: V1ConfigMap[]): string[] {
  return items.map((c) => `${c.metadata!.name}@${c.metadata!.resourceVersion}`).sort();
}

describe('informer', () => {
  it('sees add, update and delete of ConfigMaps, keeps its cache and indexes, and is ready only once synced', async () => {
    const registry = new Registry();
    const inf = new Informer<V1ConfigMap, 'app'>({
      client: admin,
      resource: { version: 'v1', plural: 'configmaps', namespace: 'inf' },
      name: 'cms',
      indexers: { app: (o) => (o.metadata?.labels?.app ? [o.metadata.labels.app] : []) },
      metrics: registry,
      ...FAST,
    });
    stopLater.push(inf);
    const health = await startHealthServer({
      registry,
      readiness: { 'informer/cms': () => inf.hasSynced },
    });
    try {
      const before = await fetch(`${health.url}/readyz`);
      expect(before.status).toBe(503);
      expect(await before.text()).toContain('[-]informer/cms failed');
      const log: string[] = [];
      inf.on('add', (o) => log.push(`add ${o.metadata!.name}`));
      inf.on('update', (o, old) =>
        log.push(`update ${o.metadata!.name} ${old.data?.v}->${o.data?.v}`),
      );
      inf.on('delete', (o) => log.push(`delete ${o.metadata!.name}`));
      await inf.start();
      expect((await fetch(`${health.url}/readyz`)).status).toBe(200);
      await createCm('inf', 'a', { v: '1' }, { app: 'x' });
      await replaceCm('inf', 'a', { v: '2' });
      await createCm('inf', 'b', {}, { app: 'y' });
      await core.deleteNamespacedConfigMap({ namespace: 'inf', name: 'a' });
      await eventually('four events', async () => (log.length >= 5 ? true : undefined), 10_000);
      // kube-root-ca.crt is published into every namespace by the controller-manager.
      expect(log.filter((l) => !l.includes('kube-root-ca.crt'))).toEqual([
        'add a',
        'update a 1->2',
        'add b',
        'delete a',
      ]);
      expect(inf.cache.get('inf', 'a')).toBeUndefined();
      expect(inf.cache.get('inf', 'b')?.metadata?.labels).toEqual({ app: 'y' });
      expect(inf.cache.byIndex('app', 'y').map((o) => o.metadata!.name)).toEqual(['b']);
      expect(inf.cache.byIndex('app', 'x')).toEqual([]);
      expect(cacheState(inf, 'inf')).toEqual(await serverState('inf'));
      const metrics = await (await fetch(`${health.url}/metrics`)).text();
      expect(metrics).toMatch(
        /^switchyard_informer_events_total\{informer="cms",type="added"\} [1-9]/m,
      );
      expect(metrics).toMatch(
        /^switchyard_informer_events_total\{informer="cms",type="deleted"\} 1$/m,
      );
      expect(metrics).toMatch(/^switchyard_informer_synced\{informer="cms"\} 1$/m);
    } finally {
      await health.close();
      await inf.stop();
    }
  });

  it('loses no event across a kube-apiserver restart in the middle of a watch, and converges to the server', async () => {
    // Through the cut proxy, so the informer can be kept off the new apiserver until the
    // post-restart writes are done: it must then get them by a watch replay or a relist.
    const inf = configMaps('restart', new KubeClient(proxy.kubeConfig(tb.kubeConfig)));
    const log = record(inf);
    for (let i = 0; i < 4; i++) await createCm('restart', `i${i}`, { v: '0' });
    await inf.start();
    await eventually(
      'initial objects',
      async () => (inf.cache.size >= 5 ? true : undefined),
      10_000,
    );
    // Written right before the kill: the watch may or may not deliver them before it dies.
    for (let i = 0; i < 5; i++) await createCm('restart', `before${i}`);
    await replaceCm('restart', 'i0', { v: 'before' });
    await core.deleteNamespacedConfigMap({ namespace: 'restart', name: 'i1' });
    const restarting = restartApiserver(tb);
    // The kill ends the watch; from then on the informer is held off until the writes are done.
    await eventually('the watch to die with the apiserver', async () =>
      inf.stats().failures > 0 ? true : undefined,
    );
    proxy.cut();
    let restart: Awaited<typeof restarting>;
    try {
      restart = await restarting;
      for (let i = 0; i < 5; i++) await createCm('restart', `after${i}`);
      await replaceCm('restart', 'i2', { v: 'after' });
      await core.deleteNamespacedConfigMap({ namespace: 'restart', name: 'i3' });
      expect(inf.cache.get('restart', 'after0')).toBeUndefined();
    } finally {
      proxy.restore();
    }
    const server = await serverState('restart');
    const started = Date.now();
    await eventually(
      'the cache to equal the server',
      async () => {
        const cache = cacheState(inf, 'restart');
        if (cache.join() !== server.join()) {
          throw new Error(
            `cache ${cache.join()} server ${server.join()} ${JSON.stringify(inf.stats())}`,
          );
        }
        return true;
      },
      30_000,
    );
    const recoveryMs = Date.now() - started;
    for (let i = 0; i < 5; i++) {
      expect(log).toContain(`add before${i}`);
      expect(log).toContain(`add after${i}`);
    }
    // Reopened watches and relists never announce an object twice.
    const adds = log.filter((l) => l.startsWith('add '));
    expect(new Set(adds).size).toBe(adds.length);
    expect(log).toContain('update i0=before');
    expect(log).toContain('update i2=after');
    expect(log).toContain('delete i1');
    expect(log).toContain('delete i3');
    expect(inf.cache.get('restart', 'i0')?.data).toEqual({ v: 'before' });
    const stats = inf.stats();
    // The old watch died with the apiserver: it ended (error or closed) and a new one took over.
    expect(
      stats.watchEnds.error + stats.watchEnds.closed + stats.watchEnds.expired,
    ).toBeGreaterThan(0);
    console.log(
      `apiserver down ${restart.downMs} ms; cache equal to server ${recoveryMs} ms after the post-restart writes;`,
      JSON.stringify(stats.watchEnds),
      `relists ${stats.relists}, failures ${stats.failures}`,
    );
    await inf.stop();
  });

  it('relists when its resourceVersion was compacted away (410 Gone) and reports the difference', async () => {
    // Events are not in the apiserver's watch cache, so a watch from an old resourceVersion goes
    // to etcd and meets the compaction.
    const event = (name: string): CoreV1Event => ({
      metadata: { name },
      involvedObject: { kind: 'ConfigMap', name: 'x', namespace: 'gone' },
      reason: 'Test',
      message: name,
    });
    await core.createNamespacedEvent({ namespace: 'gone', body: event('e1') });
    const inf = new Informer<CoreV1Event>({
      client: new KubeClient(proxy.kubeConfig(tb.kubeConfig)),
      resource: { version: 'v1', plural: 'events', namespace: 'gone' },
      name: 'events/gone',
      ...FAST,
    });
    stopLater.push(inf);
    const seen: string[] = [];
    inf.on('add', (e) => seen.push(`add ${e.metadata!.name}`));
    inf.on('delete', (e) => seen.push(`delete ${e.metadata!.name}`));
    await inf.start();
    expect(seen).toEqual(['add e1']);
    proxy.cut();
    try {
      await core.createNamespacedEvent({ namespace: 'gone', body: event('e2') });
      await core.createNamespacedEvent({ namespace: 'gone', body: event('e3') });
      await core.deleteNamespacedEvent({ namespace: 'gone', name: 'e1' });
      const revision = (await core.listNamespace()).metadata!.resourceVersion!;
      const compact = await run([
        'ip',
        'netns',
        'exec',
        tb.layout.labNetns,
        'curl',
        '-sS',
        '-X',
        'POST',
        'http://127.0.0.1:2379/v3/kv/compaction',
        '-d',
        JSON.stringify({ revision, physical: true }),
      ]);
      expect(compact.stdout).toContain('"revision"');
      await eventually(
        'a failed watch while cut',
        async () => (inf.stats().failures > 0 ? true : undefined),
        10_000,
      );
    } finally {
      proxy.restore();
    }
    await eventually('a relist', async () => (inf.stats().relists >= 2 ? true : undefined), 15_000);
    const stats = inf.stats();
    expect(stats.watchEnds.expired).toBeGreaterThanOrEqual(1);
    expect(inf.cache.keys().sort()).toEqual(['gone/e2', 'gone/e3']);
    expect(seen.slice(1).sort()).toEqual(['add e2', 'add e3', 'delete e1']);
    await inf.stop();
  });

  it('reopens a watch that went silent (apiserver frozen), including one stuck connecting', async () => {
    const inf = configMaps('frozen', admin, { silenceTimeoutMs: 1500 });
    const log = record(inf);
    await inf.start();
    await pauseApiserver(tb, true);
    let silentWhileFrozen: number;
    try {
      await new Promise((r) => setTimeout(r, 5000));
      silentWhileFrozen = inf.stats().watchEnds.silent;
    } finally {
      await pauseApiserver(tb, false);
    }
    // One silent end for the open watch, more for the reopened ones stuck in the TLS handshake.
    expect(silentWhileFrozen).toBeGreaterThanOrEqual(2);
    await eventually(
      'the apiserver to answer again',
      () => core.listNamespace().then(() => true),
      20_000,
    );
    await createCm('frozen', 'thawed');
    await eventually(
      'the post-thaw object',
      async () => (log.includes('add thawed') ? true : undefined),
      15_000,
    );
    await inf.stop();
  });

  it('keeps retrying through 403 Forbidden without crashing and syncs once a RoleBinding grants access', async () => {
    await core.createNamespacedServiceAccount({
      namespace: 'rbac',
      body: { metadata: { name: 'watcher' } },
    });
    await createCm('rbac', 'visible', { v: '1' });
    const token = await core.createNamespacedServiceAccountToken({
      namespace: 'rbac',
      name: 'watcher',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = tb.kubeConfig.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'watcher', token: token.status!.token }],
      contexts: [{ name: 'watcher', cluster: cluster.name, user: 'watcher' }],
      currentContext: 'watcher',
    });
    const registry = new Registry();
    const inf = configMaps('rbac', new KubeClient(kc), { metrics: registry });
    void inf.start();
    await eventually(
      'three denied attempts',
      async () => (inf.stats().failures >= 3 ? true : undefined),
      15_000,
    );
    expect(inf.hasSynced).toBe(false);
    expect(inf.stats().lastError).toContain('403');
    expect(registry.render()).toMatch(
      /^switchyard_informer_failures_total\{informer="configmaps\/rbac",stage="list",code="403"\} [3-9]/m,
    );
    const rbac = tb.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'rbac',
      body: {
        metadata: { name: 'cm-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'rbac',
      body: {
        metadata: { name: 'watcher-reads-cms' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: 'rbac' }],
      },
    });
    await eventually(
      'a sync after the grant',
      async () => {
        if (!inf.hasSynced) throw new Error(JSON.stringify(inf.stats()));
        return true;
      },
      20_000,
    );
    expect(inf.cache.get('rbac', 'visible')?.data).toEqual({ v: '1' });
    await inf.stop();
  });
});

describe('leader election', () => {
  it('hands over when the leader stops renewing (no overlap) and at once when it releases', async () => {
    const events: { t: number; what: string }[] = [];
    const mark = (what: string) => (): void => void events.push({ t: Date.now(), what });
    const candidate = (identity: string, client: KubeClient): LeaderElector =>
      new LeaderElector({
        client,
        namespace: 'leader',
        name: 'switchyard-test',
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 400,
        onStartedLeading: mark(`${identity} started`),
        onStoppedLeading: mark(`${identity} stopped`),
      });
    const a = candidate('a', new KubeClient(proxy.kubeConfig(tb.kubeConfig)));
    const b = candidate('b', admin);
    stopLater.push(a, b);
    a.start();
    await eventually('a to lead', async () => (a.isLeader ? true : undefined), 10_000);
    b.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.isLeader).toBe(false);
    expect(b.leader).toBe('a');

    // a loses the apiserver: it must step down by its renew deadline, and b may only take over
    // once the lease has gone unrenewed for a full lease duration.
    const cutAt = Date.now();
    proxy.cut();
    try {
      await eventually('b to lead', async () => (b.isLeader ? true : undefined), 15_000);
    } finally {
      proxy.restore();
    }
    const aStopped = events.find((e) => e.what === 'a stopped')!;
    const bStarted = events.find((e) => e.what === 'b started')!;
    expect(aStopped).toBeDefined();
    expect(aStopped.t).toBeLessThan(bStarted.t);
    // b waited out the lease: a renewed at most one retry period before the cut, the lease lasts 3 s.
    expect(bStarted.t - cutAt).toBeGreaterThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.isLeader).toBe(false);

    // b stops and releases: a takes over without waiting for expiry.
    const stopAt = Date.now();
    await b.stop();
    await eventually('a to lead again', async () => (a.isLeader ? true : undefined), 10_000);
    expect(Date.now() - stopAt).toBeLessThan(2500);
    const coordination = tb.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await coordination.readNamespacedLease({
      namespace: 'leader',
      name: 'switchyard-test',
    });
    expect(lease.spec?.holderIdentity).toBe('a');
    expect(lease.spec?.leaseTransitions).toBe(2);
    await a.stop();
    const released = await coordination.readNamespacedLease({
      namespace: 'leader',
      name: 'switchyard-test',
    });
    expect(released.spec?.holderIdentity ?? '').toBe('');
    console.log(
      'leader events (ms after the cut):',
      events.map((e) => `${e.what} +${e.t - cutAt}`).join(', '),
    );
  });

  it('lets exactly one of three candidates racing for a new Lease lead', async () => {
    const started: string[] = [];
    const electors = ['x', 'y', 'z'].map(
      (identity) =>
        new LeaderElector({
          client: new KubeClient(tb.kubeConfig),
          namespace: 'leader',
          name: 'race',
          identity,
          leaseDurationMs: 3000,
          renewDeadlineMs: 2000,
          retryPeriodMs: 400,
          onStartedLeading: () => void started.push(identity),
          onStoppedLeading: () => undefined,
        }),
    );
    stopLater.push(...electors);
    for (const e of electors) e.start();
    await eventually('a leader', async () => (started.length ? true : undefined), 10_000);
    // Several renew periods: the losers keep trying and keep getting refused.
    await new Promise((r) => setTimeout(r, 2000));
    expect(started).toHaveLength(1);
    expect(electors.filter((e) => e.isLeader).length).toBe(1);
    expect(electors.every((e) => e.leader === started[0])).toBe(true);

    // Someone else writes the Lease: the leader notices at its next renew and steps down at
    // once, without waiting for its renew deadline.
    const leader = electors.find((e) => e.isLeader)!;
    const takenAt = Date.now();
    await patchObject(
      admin,
      { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'leader' },
      'race',
      { spec: { holderIdentity: 'intruder', renewTime: microTime(), leaseDurationSeconds: 30 } },
    );
    await eventually(
      'the leader to step down',
      async () => (leader.isLeader ? undefined : true),
      5000,
    );
    expect(Date.now() - takenAt).toBeLessThan(1500);
    expect(leader.leader).toBe('intruder');
    for (const e of electors) await e.stop();
  });
});

describe('patch helpers', () => {
  const cms = { version: 'v1', plural: 'configmaps', namespace: 'patch' };
  const services = { version: 'v1', plural: 'services', namespace: 'patch' };

  it('sets and removes annotations, refusing a stale resourceVersion with 409', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'patch',
      body: { metadata: { name: 'ann', annotations: { keep: 'me', drop: 'me' } } },
    });
    const patched = await patchAnnotations<V1ConfigMap>(admin, cms, 'ann', {
      added: 'yes',
      drop: null,
    });
    expect(patched.metadata?.annotations).toEqual({ keep: 'me', added: 'yes' });
    const err = await patchAnnotations(
      admin,
      cms,
      'ann',
      { x: '1' },
      { resourceVersion: '1' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(409);
    const fresh = await core.readNamespacedConfigMap({ namespace: 'patch', name: 'ann' });
    expect(fresh.metadata?.annotations).toEqual({ keep: 'me', added: 'yes' });
  });

  it('updateWithRetry survives real conflicts: 6 concurrent increments all land', async () => {
    await createCm('patch', 'counter', { n: '0' });
    await Promise.all(
      Array.from({ length: 6 }, () =>
        updateWithRetry<V1ConfigMap>(
          admin,
          cms,
          'counter',
          (c) => ({ ...c, data: { n: String(Number(c.data?.n) + 1) } }),
          {
            attempts: 20,
          },
        ),
      ),
    );
    const c = await core.readNamespacedConfigMap({ namespace: 'patch', name: 'counter' });
    expect(c.data).toEqual({ n: '6' });
  });

  it('patches the status subresource (merge and server-side apply) without touching spec', async () => {
    await core.createNamespacedService({
      namespace: 'patch',
      body: {
        metadata: { name: 'lb' },
        spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
      },
    });
    const merged = await patchStatus<V1Service>(admin, services, 'lb', {
      loadBalancer: { ingress: [{ ip: '192.0.2.10' }] },
    });
    expect(merged.status?.loadBalancer?.ingress).toMatchObject([{ ip: '192.0.2.10' }]);
    const applied = await patchStatus<V1Service>(
      admin,
      services,
      'lb',
      { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } },
      { type: 'apply', kind: 'Service', fieldManager: 'switchyard-test' },
    );
    expect(applied.status?.loadBalancer?.ingress).toMatchObject([{ ip: '192.0.2.20' }]);
    expect(
      applied.metadata?.managedFields?.some(
        (f) => f.manager === 'switchyard-test' && f.subresource === 'status',
      ),
    ).toBe(true);
    expect(applied.spec?.ports?.[0]?.port).toBe(80);
    const ssa = await patchObject<V1ConfigMap>(
      admin,
      cms,
      'owned',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data: { k: 'v' } },
      { type: 'apply', fieldManager: 'switchyard-test' },
    );
    expect(ssa.data).toEqual({ k: 'v' });
    // Strategic merge patch merges the ports list by its key; a JSON merge patch would replace it.
    const strategic = await patchObject<V1Service>(
      admin,
      services,
      'lb',
      { spec: { ports: [{ name: 'alt', port: 81 }] } },
      { type: 'strategic' },
    );
    expect(strategic.spec?.ports?.map((p) => p.port).sort()).toEqual([80, 81]);
  });
});
