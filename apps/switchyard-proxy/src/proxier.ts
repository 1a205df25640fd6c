import { type Logger, Registry } from '@switchyard/kube';
import { type NetnsTarget, NftNetlink, runUnchecked } from '@switchyard/linux';
import {
  type EndpointSlice,
  type NodeInfo,
  NftSyncer,
  type PortChange,
  ProxyRules,
  type Service,
  type ServicePortInfo,
  conntrackCleanup,
} from '@switchyard/proxy-rules';
import { BoundedFrequencyRunner } from './bounded-runner.js';
import { HealthCheckServers } from './health-check-servers.js';
import {
  netlinkElementApplier,
  nftApply,
  tableInventory,
  tableState,
  tableStateOverNetlink,
} from './nft-table.js';
import { ProgrammingLatency, ages } from './programming-latency.js';
import { ProxyMetrics } from './proxy-metrics.js';

export interface ProxierOptions {
  node: NodeInfo;
  table: string;
  masqueradeBit: number;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  fullSyncPeriodMs: number;
  /** Where healthCheckNodePort servers listen (0.0.0.0 for every node address). */
  healthCheckHost: string;
  logger: Logger;
  metrics?: Registry;
  /**
   * Prepended to every nft and conntrack command, e.g. `['ip', 'netns', 'exec', ns]` to program
   * another namespace than the process's own (tests, the bench); empty in the DaemonSet, which
   * runs in the node's namespace.
   */
  commandPrefix?: string[];
  /**
   * The namespace the nf_tables netlink socket programs (endpoint changes, the table check);
   * default: the process's own. With a `commandPrefix` and no `netns`, those go through `nft`
   * too, so nothing ever lands in the wrong namespace.
   */
  netns?: NetnsTarget;
}

/** Concurrent `conntrack -D` processes after a sync. */
const CONNTRACK_PARALLEL = 4;

/**
 * The proxy's core: Services and EndpointSlices in (informer-style), the kernel's table kept equal
 * to what they describe. Syncs are bounded in frequency (one per minSyncPeriod however many
 * events arrive) and partial (only changed services); the whole table is replaced on the first
 * sync, after a transaction fails, when the periodic check finds it damaged, and every
 * fullSyncPeriod. After each sync: stale UDP conntrack entries go, health-check node ports
 * follow, and metrics are recorded.
 */
export class Proxier {
  readonly metrics: Registry;
  private readonly m: ProxyMetrics;
  private readonly rules: ProxyRules;
  private readonly syncer: NftSyncer;
  private readonly runner: BoundedFrequencyRunner;
  private readonly healthChecks: HealthCheckServers;
  private readonly latency = new ProgrammingLatency();
  private readonly log: Logger;
  private readonly prefix: string[];
  /** Carries element-only transactions and the table check; undefined: `nft` does both. */
  private readonly netlink: NftNetlink | undefined;
  private node: NodeInfo;
  private started = false;
  private needFull = true;
  private lastFull = 0;
  private checkTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /**
   * Ports of the services recomputed since the last successful sync, before (as the kernel had
   * them) and after: what conntrack cleanup and the health checks look at, without walking every
   * service on each sync.
   */
  private unapplied = new Map<string, PortChange>();
  private syncedOnce = false;
  /** The health-check servers (and conntrack bookkeeping) have seen one whole state. */
  private healthChecksSynced = false;
  /** When a sync was first asked for after the last successful one (for /healthz). */
  private pendingSince: number | undefined;
  private lastSuccess: number | undefined;

  /** Throws ModelError when the node description is unusable. */
  constructor(private readonly opts: ProxierOptions) {
    this.metrics = opts.metrics ?? new Registry();
    this.m = new ProxyMetrics(this.metrics);
    this.log = opts.logger;
    this.prefix = opts.commandPrefix ?? [];
    this.node = opts.node;
    this.rules = new ProxyRules(opts.node, {
      table: opts.table,
      masqueradeMark: 2 ** opts.masqueradeBit,
    });
    this.netlink = this.openNetlink();
    this.syncer = new NftSyncer(
      (text) => nftApply(text, this.prefix),
      () => tableInventory(opts.table, this.prefix),
      this.netlink && netlinkElementApplier(this.netlink, opts.table),
    );
    this.healthChecks = new HealthCheckServers(opts.healthCheckHost, this.log);
    this.runner = new BoundedFrequencyRunner(() => this.sync(), {
      minIntervalMs: opts.minSyncPeriodMs,
      maxIntervalMs: opts.syncPeriodMs,
      retryMs: Math.min(opts.syncPeriodMs, Math.max(opts.minSyncPeriodMs, 1000)),
      onError: (e) =>
        this.log.error('sync failed; the whole table is replaced next time', { error: e }),
    });
  }

  /** True once the first full sync has put the rules in the kernel (/readyz). */
  get ready(): boolean {
    return this.syncedOnce;
  }

  /** False when a sync has been due for more than two sync periods (/healthz). */
  get healthy(): boolean {
    return (
      this.pendingSince === undefined || Date.now() - this.pendingSince < 2 * this.opts.syncPeriodMs
    );
  }

  /** Health-check node ports being served. */
  get healthCheckPorts(): number[] {
    return this.healthChecks.ports;
  }

  /** Starts syncing; call once the informers have listed everything (a partial view would drop rules). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.pendingSince = Date.now();
    this.runner.start();
    this.checkTimer = setInterval(() => void this.checkTable(), this.opts.syncPeriodMs);
  }

  /** Stops syncing and closes the health-check servers; the table stays (pods keep working). */
  async stop(): Promise<void> {
    clearInterval(this.checkTimer);
    await this.checking;
    await this.runner.stop();
    this.netlink?.close();
    await this.healthChecks.close();
  }

  /** A changed node (addresses, zone, pod CIDRs) rebuilds every service. Throws ModelError. */
  setNode(node: NodeInfo): void {
    this.rules.setNode(node);
    this.node = node;
    this.request();
  }

  get nodeInfo(): NodeInfo {
    return this.node;
  }

  upsertService(svc: Service): void {
    this.rules.upsertService(svc);
    this.request();
  }

  deleteService(namespace: string, name: string): void {
    this.rules.deleteService(namespace, name);
    this.request();
  }

  /** `initial`: from the informer's first list (its trigger time is not a change we apply now). */
  upsertEndpointSlice(slice: EndpointSlice, initial = false): void {
    const key = `${slice.metadata.namespace}/${slice.metadata.name}`;
    this.latency.note(key, slice.metadata.annotations, initial || !this.started);
    this.rules.upsertEndpointSlice(slice);
    this.request();
  }

  deleteEndpointSlice(namespace: string, name: string): void {
    this.latency.forget(`${namespace}/${name}`);
    this.rules.deleteEndpointSlice(namespace, name);
    this.request();
  }

  private request(): void {
    if (!this.started) return;
    this.pendingSince ??= Date.now();
    this.runner.request();
  }

  /**
   * The periodic look at the kernel, beside the syncs rather than in front of them: listing a
   * chain makes nft fetch the whole table (about a second of CPU at 10k services), which must not
   * delay an endpoint change. Syncs may run meanwhile; nft transactions are atomic, so the check
   * sees the table before or after each, and a damaged table asks for a full sync.
   */
  private checkTable(): Promise<void> {
    if (this.checking || !this.syncedOnce || this.needFull)
      return this.checking ?? Promise.resolve();
    this.checking = (async () => {
      const state = this.netlink
        ? await tableStateOverNetlink(this.netlink, this.opts.table)
        : await tableState(this.opts.table, this.prefix);
      if (state === 'unknown') {
        this.log.warn('could not read our table; looking again next sync period');
        return;
      }
      if (state === 'intact') return;
      this.log.warn('our table is missing or was flushed: replacing it', {
        table: this.opts.table,
      });
      this.m.repairs.inc({ reason: 'check' });
      this.needFull = true;
      this.runner.request();
    })()
      .catch((e: unknown) => this.log.error('table check failed', { error: e }))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async sync(): Promise<void> {
    this.pendingSince ??= Date.now();
    const now = Date.now();
    const full = this.needFull || now - this.lastFull >= this.opts.fullSyncPeriodMs;
    const batch = this.latency.take();
    const started = process.hrtime.bigint();
    const commit = this.rules.commit();
    for (const [id, change] of commit.changes) {
      // A service recomputed twice before a sync succeeded: the kernel still has the first before.
      const was = this.unapplied.get(id);
      this.unapplied.set(id, { before: was ? was.before : change.before, after: change.after });
    }
    let kind = full ? 'full' : 'partial';
    let netlink: boolean;
    try {
      const result = full
        ? await this.syncer.resync(commit.ruleset)
        : await this.syncer.apply(commit);
      if (result.recovered) {
        kind = 'full';
        this.m.repairs.inc({ reason: 'transaction' });
        this.log.warn('a partial transaction failed; the whole table was replaced');
      } else if (result.full) kind = 'full';
      netlink = result.elementsApplied;
    } catch (e) {
      this.needFull = true;
      this.latency.requeue(batch);
      this.m.syncs.inc({ kind, result: 'failure' });
      throw e;
    }
    const done = Date.now();
    this.m.syncDuration.observe({}, Number(process.hrtime.bigint() - started) / 1e9);
    this.m.syncs.inc({ kind, result: 'success' });
    this.m.lastSync.set({}, done / 1000);
    for (const age of ages(batch, done)) this.m.programmingDuration.observe({}, age);
    if (kind === 'full') this.lastFull = done;
    // A check that found damage while a partial sync ran still wants its full one.
    if (kind === 'full') this.needFull = false;
    this.syncedOnce = true;
    this.pendingSince = undefined;
    this.lastSuccess = done;

    const changes = [...this.unapplied.values()];
    this.unapplied.clear();
    const before = changes.flatMap((c) => c.before);
    const after = changes.flatMap((c) => c.after);
    // On the first sync there is no earlier state to diff: entries of services that already had
    // endpoints are left alone rather than all forgotten.
    if (this.healthChecksSynced) await this.cleanConntrack(conntrackCleanup(before, after));
    // The health-check servers follow the whole state only when an eTP Local service changed.
    const checked = (sp: ServicePortInfo): boolean => sp.healthCheckNodePort !== undefined;
    if (!this.healthChecksSynced || before.some(checked) || after.some(checked)) {
      await this.healthChecks.update(commit.healthChecks);
      this.healthChecksSynced = true;
    }
    this.m.servicePorts.set({}, commit.servicePortCount);
    this.m.skipped.set({}, commit.skippedCount);
    this.m.healthCheckServers.set({}, this.healthChecks.ports.length);
    this.log.debug('synced', {
      kind,
      netlink,
      ms: done - now,
      servicePorts: commit.servicePortCount,
    });
  }

  private openNetlink(): NftNetlink | undefined {
    if (this.prefix.length > 0 && this.opts.netns === undefined) return undefined;
    try {
      return NftNetlink.open({ netns: this.opts.netns });
    } catch (e) {
      this.log.warn('no nf_tables netlink socket; every change goes through nft', { error: e });
      return undefined;
    }
  }

  private async cleanConntrack(commands: string[][]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < commands.length) {
        const argv = commands[next++]!;
        // Exit 1 means nothing matched, which is the usual case; both are fine.
        const r = await runUnchecked([...this.prefix, ...argv], { timeoutMs: 10_000 }).catch(
          () => undefined,
        );
        this.m.conntrackDeletions.inc({ deleted: r?.exitCode === 0 ? 'true' : 'false' });
      }
    };
    await Promise.all(Array.from({ length: CONNTRACK_PARALLEL }, worker));
  }

  /** Time of the last successful sync (ms since the epoch), if any. */
  get lastSyncAt(): number | undefined {
    return this.lastSuccess;
  }
}
