import { mkdir } from 'node:fs/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { run } from '@switchyard/linux';
import { ECHO_MAIN } from '../entry-points.js';
import { type NodeApi, nodeApi } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import { EventRecorder } from './events.js';
import { type ImageContext, workspaceBins } from './images.js';
import { type Logger, errorMessage } from './logger.js';
import { NodeStatus } from './node-status.js';
import { CONFLIST_NAME, PodNetwork, referenceConflist, writeConflist } from './pod-network.js';
import { type PodEvents, PodWatch } from './pod-watch.js';
import { PodWorker } from './pod-worker.js';
import { Sandboxes } from './sandbox.js';

/**
 * The testbed's kubelet for one node. It runs inside the node's namespace, so the CNI plugins it
 * execs see that namespace as the host side, exactly as under a container runtime.
 */
export class NodeRuntime implements PodEvents {
  private readonly api: NodeApi;
  private readonly network: PodNetwork;
  private readonly sandboxes: Sandboxes;
  private readonly status: NodeStatus;
  private readonly watch: PodWatch;
  private readonly images: ImageContext;
  private readonly events: EventRecorder;
  private readonly workers = new Map<string, PodWorker>();
  private stopped = false;

  constructor(
    private readonly config: NodeRuntimeConfig,
    private readonly log: Logger,
  ) {
    this.api = nodeApi(config.kubeconfig);
    this.network = new PodNetwork(
      `${config.dir}/net.d`,
      // The node's own bin dir first (a kind node's /opt/cni/bin): CNI agents install plugins there.
      [`${config.dir}/cni-bin`, ...config.cniBinDirs],
      `${config.dir}/cni-cache`,
    );
    this.sandboxes = new Sandboxes(config, this.network, this.api, log);
    this.status = new NodeStatus(this.api, config, () => this.network.readiness(), log);
    this.watch = new PodWatch(this.api, config.nodeName, this, log);
    this.events = new EventRecorder(this.api, config.nodeName, log);
    this.images = {
      node: process.execPath,
      echoMain: ECHO_MAIN,
      repoRoot: config.repoRoot,
      workspaceBins: workspaceBins(config.repoRoot),
    };
  }

  async start(): Promise<void> {
    await mkdir(`${this.config.dir}/net.d`, { recursive: true });
    const recovered = await this.sandboxes.recover();
    if (recovered) this.log('info', 'removed sandboxes of an earlier run', { count: recovered });
    await this.retry('register the node', () => this.status.register());
    this.status.start();
    this.watch.start();
    const podCidr = await this.status.waitForPodCidr(() => this.stopped);
    this.log('info', 'podCIDR assigned', { podCidr });
    // The lab is the underlay's router: replies to pods (e.g. from the apiserver) go via their node.
    await this.retry('route the podCIDR in the lab', () =>
      run([
        'ip',
        '-n',
        this.config.labNetns,
        'route',
        'replace',
        podCidr,
        'via',
        this.config.internalIP,
      ]),
    );
    if (this.config.cni === 'reference-bridge') {
      const path = await writeConflist(
        this.network.confDir,
        CONFLIST_NAME,
        referenceConflist(podCidr, `${this.config.dir}/ipam`),
      );
      this.log('info', 'wrote the reference CNI conflist', { path });
    }
    await this.status.heartbeat();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    this.watch.stop();
    this.status.stop();
    await Promise.all([...this.workers.values()].map((w) => w.shutdown()));
  }

  sync(pods: V1Pod[]): void {
    const seen = new Set<string>();
    for (const pod of pods) {
      seen.add(pod.metadata?.uid ?? '');
      this.upsert(pod);
    }
    for (const [uid, worker] of this.workers) if (!seen.has(uid)) worker.removed();
  }

  upsert(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || pod.spec?.nodeName !== this.config.nodeName || this.stopped) return;
    let worker = this.workers.get(uid);
    if (!worker) {
      worker = new PodWorker(pod, {
        config: this.config,
        api: this.api,
        sandboxes: this.sandboxes,
        images: this.images,
        networkReady: async () => (await this.network.readiness()).ready,
        log: this.log,
        events: this.events,
        done: (id) => this.workers.delete(id),
      });
      this.workers.set(uid, worker);
    }
    worker.update(pod);
  }

  remove(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (uid) this.workers.get(uid)?.removed();
  }

  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let backoff = 200;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (this.stopped) throw e;
        this.log('warn', `cannot ${what} yet; retrying`, {
          error: errorMessage(e),
          backoffMs: backoff,
        });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
