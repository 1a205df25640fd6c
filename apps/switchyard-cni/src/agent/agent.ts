import { Registry, startHealthServer, type HealthServer, type Logger } from '@switchyard/kube';
import { Rtnl, listLinks } from '@switchyard/linux';
import {
  LinuxDataplane,
  OverlayReconciler,
  chooseVtepMac,
  desiredState,
  discoverUnderlay,
  existingVtepMac,
  overlayAnnotations,
  overlayConfig,
  overlayNodeFromObject,
  vxlanOverhead,
  type NodeObject,
  type OverlayConfig,
  type Underlay,
} from '@switchyard/overlay';
import { OwnedDiskStore } from '../ipam/owned-disk-store.js';
import { hostPortOwner, removeHostPorts } from '../plugin/host-ports.js';
import { AgentPluginHost } from './agent-plugin-host.js';
import { CniServer } from './cni-server.js';
import { buildConflist, writeConflist } from './conflist.js';
import { KubeSource } from './kube-source.js';
import { findLeaks } from './leak-finder.js';
import { installMasquerade } from './masquerade.js';
import { installFallback, installShim } from './node-install.js';
import type { AgentOptions } from './options.js';
import type { ShimRequest, ShimResponse } from './shim-protocol.js';

/** How long start-up waits for standalone plugin calls still holding the store. */
const STORE_LOCK_WAIT_MS = 120_000;
/** The overlay re-reads the kernel this often, repairing routes changed behind its back. */
const OVERLAY_RESYNC_MS = 5 * 60_000;
const DEFAULT_MTU = 1500;

/**
 * The node agent: owns the node's IPAM store, serves the plugin socket, learns the node's pod
 * CIDRs (from its Node, or a flag), writes the conflist, programs the overlay and the masquerade
 * rules, collects leaked addresses and reports health. Stopping it leaves every pod, rule and
 * file in place, so a restart disturbs nothing.
 */
export class Agent {
  readonly metrics = new Registry();
  private readonly requests = this.metrics.counter(
    'switchyard_cni_requests_total',
    'CNI calls served by the agent, by verb and CNI error code (0 = success)',
    ['verb', 'code'],
  );
  private readonly duration = this.metrics.histogram(
    'switchyard_cni_request_duration_seconds',
    'Time to answer a CNI call, by verb',
    ['verb'],
  );
  private readonly allocatedGauge = this.metrics.gauge(
    'switchyard_ipam_allocated_addresses',
    'Addresses held in the node store',
  );
  private readonly gcReleased = this.metrics.counter(
    'switchyard_ipam_gc_released_total',
    'Leaked addresses released by the agent GC',
  );
  private readonly overlayPeers = this.metrics.gauge(
    'switchyard_overlay_peers',
    'Remote nodes programmed, by path',
    ['via'],
  );
  private readonly nl = Rtnl.open();
  private readonly orphanSince = new Map<string, number>();
  private readonly overlay: OverlayConfig | undefined;
  private reconciler: OverlayReconciler | undefined;
  private underlay: Underlay | undefined;
  private vtepMac: string | undefined;
  private annotated = false;
  private conflistWritten = false;
  /** What the conflist names for the shim's fallback: the options', or the copy installed. */
  private standalone: { node: string; script: string };
  private syncing: Promise<void> | undefined;
  private resync = false;
  private gcTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private server: CniServer | undefined;
  private health: HealthServer | undefined;
  private kube: KubeSource | undefined;
  private host: AgentPluginHost | undefined;

  private constructor(
    readonly options: AgentOptions,
    private readonly log: Logger,
    private readonly store: OwnedDiskStore,
  ) {
    this.standalone = { node: options.standaloneNode, script: options.standaloneScript };
    this.overlay =
      options.overlayMode === 'none'
        ? undefined
        : overlayConfig({ mode: options.overlayMode, port: options.vxlanPort, vni: options.vni });
  }

  /**
   * Starts everything. The store lock comes first: it waits for standalone plugin calls made
   * while no agent was running, and from then on the agent is the store's only writer.
   */
  static async start(options: AgentOptions, log: Logger): Promise<Agent> {
    const store = OwnedDiskStore.open(options.network, {
      dataDir: options.ipamDataDir,
      timeoutMs: STORE_LOCK_WAIT_MS,
    });
    const agent = new Agent(options, log, store);
    try {
      await agent.startParts();
    } catch (e) {
      await agent.stop();
      throw e;
    }
    return agent;
  }

  get healthUrl(): string | undefined {
    return this.health?.url;
  }

  /** Stops serving; pods, rules, the conflist and the store's files all stay. */
  async stop(): Promise<void> {
    clearInterval(this.gcTimer);
    clearInterval(this.resyncTimer);
    await this.server?.close();
    await this.kube?.stop();
    await this.health?.close();
    this.host?.close();
    this.nl.close();
    this.store.close();
  }

  /** One IPAM GC pass; returns the addresses released. */
  async collectLeaks(): Promise<string[]> {
    // A socket of its own: a dump must not share one with writes from other work.
    const nl = Rtnl.open();
    let links: Set<string>;
    try {
      links = new Set((await listLinks(nl)).map((l) => l.name));
    } finally {
      nl.close();
    }
    const podIps = this.kube?.pods.hasSynced ? this.kube.podIps() : undefined;
    if (this.kube && !podIps) return [];
    const leaks = this.store.withLock(() =>
      findLeaks(
        {
          allocations: this.store.list(),
          links,
          podIps,
          now: Date.now(),
          graceMs: this.options.gcGraceMs,
        },
        this.orphanSince,
      ).filter((a) => this.store.release(a.address)),
    );
    if (leaks.length > 0) {
      const owners = new Set(leaks.map((a) => hostPortOwner(a.containerId, a.ifName)));
      await removeHostPorts(undefined, { owners });
      this.gcReleased.inc({}, leaks.length);
      this.log.info('released leaked addresses', {
        addresses: leaks.map((a) => `${a.address.toString()} (${a.containerId}/${a.ifName})`),
      });
    }
    this.allocatedGauge.set(
      {},
      this.store.withLock(() => this.store.list().length),
    );
    return leaks.map((a) => a.address.toString());
  }

  private async startParts(): Promise<void> {
    const o = this.options;
    this.host = new AgentPluginHost(this.store);
    const host = this.host;
    this.server = await CniServer.listen({
      path: o.socket,
      serve: (req) => this.serve(host, req),
      logger: this.log.child({ component: 'cni-server' }),
    });
    this.log.info('serving the plugin', { socket: o.socket, store: this.store.dir });
    if (o.installShim && installShim(o.installShim, o.cniBinDir)) {
      this.log.info('installed the plugin shim', { dir: o.cniBinDir });
    }
    if (o.installFallback) {
      const fallback = installFallback(o.installFallback, process.execPath, o.cniBinDir);
      this.standalone = { node: fallback.nodeBinary, script: fallback.standaloneScript };
      if (fallback.changed) this.log.info('installed the standalone fallback', this.standalone);
    }
    if (o.podCidrs.length === 0) {
      if (!o.nodeName) throw new Error('--node-name (or NODE_NAME) is needed without --pod-cidr');
      this.kube = await KubeSource.connect(o.kubeconfig, o.nodeName, this.log, this.metrics);
      this.kube.nodes.on('add', () => this.scheduleSync());
      this.kube.nodes.on('update', () => this.scheduleSync());
      this.kube.nodes.on('delete', () => this.scheduleSync());
      this.kube.start();
      this.resyncTimer = setInterval(() => {
        this.reconciler?.invalidate();
        this.scheduleSync();
      }, OVERLAY_RESYNC_MS);
      this.resyncTimer.unref();
    } else {
      await this.syncNodes([]);
    }
    this.health = await startHealthServer({
      host: o.healthHost,
      port: o.healthPort,
      registry: this.metrics,
      logger: this.log,
      liveness: { 'cni-socket': () => this.server?.healthy ?? false },
      readiness: {
        conflist: () => this.conflistWritten,
        ...(this.kube
          ? { informers: () => this.kube!.nodes.hasSynced && this.kube!.pods.hasSynced }
          : {}),
      },
    });
    this.gcTimer = setInterval(() => {
      this.collectLeaks().catch((e: unknown) => this.log.error('IPAM GC failed', { error: e }));
    }, o.gcIntervalMs);
    this.gcTimer.unref();
  }

  private async serve(host: AgentPluginHost, req: ShimRequest): Promise<ShimResponse> {
    const verb = req.env.CNI_COMMAND ?? '';
    const started = process.hrtime.bigint();
    const res = await host.serve(req);
    this.duration.observe({ verb }, Number(process.hrtime.bigint() - started) / 1e9);
    this.requests.inc({ verb, code: res.status === 0 ? '0' : errorCode(res.stdout) });
    return res;
  }

  /** Coalesces bursts of node events into one sync at a time. */
  private scheduleSync(): void {
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.resync = false;
        try {
          await this.syncNodes(this.kube?.nodeList() ?? []);
        } catch (e) {
          this.log.error('node sync failed', { error: e });
        }
      } while (this.resync);
      this.syncing = undefined;
    })();
  }

  /** Pod CIDRs -> overlay, conflist, masquerade. Static CIDRs skip everything Kubernetes. */
  private async syncNodes(nodes: readonly NodeObject[]): Promise<void> {
    const o = this.options;
    let podCidrs = o.podCidrs;
    let mtu = o.mtu ?? DEFAULT_MTU;
    if (podCidrs.length === 0) {
      const own = nodes.find((n) => n.metadata?.name === o.nodeName);
      if (!own) return this.log.warn('own Node not found yet', { node: o.nodeName });
      const local = overlayNodeFromObject(own);
      if (local.podCIDRs.length === 0) {
        return this.log.warn('Node has no podCIDR yet (kube-controller-manager assigns it)', {
          node: o.nodeName,
        });
      }
      podCidrs = local.podCIDRs;
      if (this.overlay) mtu = await this.syncOverlay(nodes, local.internalIPs, this.overlay);
    }
    const changed = writeConflist(
      o.cniConfDir,
      o.conflistName,
      buildConflist({
        network: o.network,
        podCidrs,
        bridge: o.bridge,
        mtu,
        dataDir: o.ipamDataDir,
        agentSocket: o.socket,
        nodeBinary: this.standalone.node,
        standaloneScript: this.standalone.script,
      }),
    );
    if (changed) this.log.info('wrote the conflist', { dir: o.cniConfDir, podCidrs, mtu });
    this.conflistWritten = true;
    if (o.clusterCidrs.length > 0) await installMasquerade(o.clusterCidrs);
    else this.log.warn('no --cluster-cidr: pod traffic leaving the node is not masqueraded');
  }

  /** Programs the overlay for every other node; returns the pod MTU it allows. */
  private async syncOverlay(
    nodes: readonly NodeObject[],
    internalIPs: readonly string[],
    config: OverlayConfig,
  ): Promise<number> {
    const o = this.options;
    const nodeIp = internalIPs.find((ip) => !ip.includes(':')) ?? internalIPs[0];
    if (!nodeIp) throw new Error(`Node ${o.nodeName} has no InternalIP`);
    this.underlay ??= await discoverUnderlay(this.nl, nodeIp);
    this.vtepMac ??= chooseVtepMac(await existingVtepMac(this.nl, config.device));
    if (!this.annotated && this.kube) {
      const backend = config.mode === 'direct' ? 'direct' : 'vxlan';
      await this.kube.annotateNode(
        o.nodeName!,
        overlayAnnotations({ vtepMac: this.vtepMac, publicIP: this.underlay.ip, backend }),
      );
      this.annotated = true;
    }
    this.reconciler ??= new OverlayReconciler(
      new LinuxDataplane(this.nl, config.protocol),
      config.device,
    );
    const desired = desiredState({
      nodes: nodes.map(overlayNodeFromObject),
      localNode: o.nodeName!,
      config,
      underlay: this.underlay,
      vtepMac: this.vtepMac,
    });
    const result = await this.reconciler.sync(desired);
    for (const via of ['vxlan', 'direct'] as const) {
      this.overlayPeers.set({ via }, desired.peers.filter((p) => p.via === via).length);
    }
    if (result.changes > 0 || result.errors.length > 0) {
      this.log.info('overlay synced', {
        changes: result.changes,
        errors: result.errors.map((e) => `${e.operation}: ${e.error.message}`),
        skipped: desired.skipped,
      });
    }
    if (o.mtu !== undefined) return o.mtu;
    const overhead = config.mode === 'direct' ? 0 : vxlanOverhead(nodeIp.includes(':') ? 6 : 4);
    return this.underlay.mtu - overhead;
  }
}

function errorCode(stdout: string): string {
  try {
    const code = (JSON.parse(stdout) as { code?: unknown }).code;
    return typeof code === 'number' ? String(code) : 'unknown';
  } catch {
    return 'unknown';
  }
}
