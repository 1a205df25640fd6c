import { randomBytes } from 'node:crypto';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { MERGE_PATCH } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import type { RestartPolicy } from './container.js';
import type { EventRecorder } from './events.js';
import type { ImageContext } from './images.js';
import { configMapNames } from './container-env.js';
import { type Logger, errorMessage, httpStatus } from './logger.js';
import { type ContainerContext, PodContainers, pendingView } from './pod-containers.js';
import {
  type ConditionHistory,
  type ContainerView,
  type PodView,
  buildPodStatus,
  podPhase,
} from './pod-status.js';
import type { SandboxRecord, Sandboxes } from './sandbox.js';

export interface PodWorkerDeps {
  config: NodeRuntimeConfig;
  api: NodeApi;
  sandboxes: Sandboxes;
  images: ImageContext;
  networkReady: () => Promise<boolean>;
  log: Logger;
  events: EventRecorder;
  /** Called once the worker has nothing left to do (pod deleted and cleaned up). */
  done: (uid: string) => void;
}

const MAX_GRACE_MS = 30_000;

type PodEvent = ContainerContext['event'];

/**
 * Everything this node does for one pod, serialized: sandbox (namespace + CNI ADD), containers,
 * probes, status; and on deletion: stop containers within the grace period, CNI DEL, remove the
 * namespace, then delete the pod object for good (gracePeriodSeconds=0), as kubelet does.
 */
export class PodWorker {
  private pod: V1Pod;
  private gone = false;
  /** Every container ended for good and the sandbox is gone; only deletion is left to handle. */
  private completed = false;
  private finished = false;
  private sandbox: SandboxRecord | undefined;
  private running: PodContainers | undefined;
  private sandboxError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 500;
  private readonly history: ConditionHistory = new Map();
  private lastStatus = '';
  private readonly startTime = new Date().toISOString();
  private busy: Promise<void> | undefined;
  private dirty = false;

  constructor(
    pod: V1Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  private get key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The API object is gone (deleted without waiting for us, or never seen again on relist). */
  removed(): void {
    this.gone = true;
    this.kick();
  }

  /** Node runtime stopping: end the processes, keep everything else (no API calls). */
  async shutdown(): Promise<void> {
    this.finished = true;
    clearTimeout(this.retryTimer);
    await this.running?.stop(1000, false);
  }

  private kick(): void {
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = (async (): Promise<void> => {
      do {
        this.dirty = false;
        try {
          await this.reconcile();
        } catch (e) {
          this.deps.log('error', 'pod reconcile failed; retrying', {
            pod: this.key,
            error: errorMessage(e),
          });
          setTimeout(() => this.kick(), 1000);
        }
      } while (this.dirty && !this.finished);
    })().finally(() => (this.busy = undefined));
  }

  private async reconcile(): Promise<void> {
    if (this.finished) return;
    if (this.gone) {
      await this.stopContainers(1000);
      await this.teardown();
      this.finish();
      return;
    }
    if (this.pod.metadata?.deletionTimestamp) {
      const grace = (this.pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
      await this.stopContainers(Math.min(grace, MAX_GRACE_MS));
      await this.teardown();
      await this.deleteForGood();
      this.finish();
      return;
    }
    const phase = this.pod.status?.phase;
    if (this.completed || (!this.sandbox && (phase === 'Succeeded' || phase === 'Failed'))) return;
    if (!this.sandbox) await this.createSandbox();
    if (this.sandbox && this.terminal()) {
      // Nothing will run again: release the address, keep the pod object and its status.
      this.running?.stopProbes();
      await this.publish();
      await this.teardown(true);
      this.completed = true;
      return;
    }
    await this.publish();
  }

  private async createSandbox(): Promise<void> {
    if (this.retryTimer) return;
    const hostNetwork = this.pod.spec?.hostNetwork === true;
    if (!hostNetwork && !(await this.deps.networkReady())) {
      this.sandboxError = 'network not ready';
      this.scheduleRetry();
      return;
    }
    try {
      this.sandbox = await this.deps.sandboxes.create(this.pod, randomBytes(32).toString('hex'));
      this.sandboxError = undefined;
      this.retryMs = 500;
      this.deps.log('info', 'sandbox ready', {
        pod: this.key,
        podIP: this.sandbox.podIP,
        netns: this.sandbox.netns,
      });
    } catch (e) {
      const error = errorMessage(e);
      if (error !== this.sandboxError) {
        this.deps.events.record(this.pod, 'Warning', 'FailedCreatePodSandBox', error);
      }
      this.sandboxError = error;
      this.deps.log('warn', 'sandbox creation failed; retrying', {
        pod: this.key,
        error: this.sandboxError,
      });
      this.scheduleRetry();
      return;
    }
    const event: PodEvent = (type, reason, message) =>
      this.deps.events.record(this.pod, type, reason, message);
    const configMaps = await this.readConfigMaps();
    if (this.finished) return; // the runtime stopped meanwhile: start nothing
    this.running = new PodContainers(
      this.pod,
      this.sandbox,
      { ...this.deps, event, configMaps },
      () => this.kick(),
    );
    this.running.start();
  }

  /** The env's ConfigMaps as the node may read them (the Node authorizer allows referenced ones). */
  private async readConfigMaps(): Promise<Map<string, Record<string, string>>> {
    const namespace = this.pod.metadata?.namespace ?? 'default';
    const found = new Map<string, Record<string, string>>();
    for (const name of configMapNames(this.pod)) {
      try {
        const cm = await this.deps.api.core.readNamespacedConfigMap({ name, namespace });
        found.set(name, cm.data ?? {});
      } catch (e) {
        // The container then fails with CreateContainerConfigError naming the key.
        this.deps.log('warn', 'configmap not readable', {
          pod: this.key,
          name,
          error: errorMessage(e),
        });
      }
    }
    return found;
  }

  private scheduleRetry(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  private terminal(): boolean {
    const phase = podPhase(this.view());
    return phase === 'Succeeded' || phase === 'Failed';
  }

  private view(): PodView {
    const pending = (specs: V1Container[] | undefined): ContainerView[] =>
      (specs ?? []).map((c) => pendingView(c, 'ContainerCreating', this.sandboxError));
    const views = this.running?.views() ?? {
      initContainers: pending(this.pod.spec?.initContainers),
      initialized: false,
      containers: pending(this.pod.spec?.containers),
    };
    return {
      sandboxReady: this.sandbox !== undefined,
      podIP: this.sandbox?.podIP,
      hostIP: this.deps.config.internalIP,
      startTime: this.startTime,
      restartPolicy: (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy,
      ...views,
    };
  }

  private async publish(): Promise<void> {
    const status = buildPodStatus(this.view(), this.history);
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    const meta = this.pod.metadata!;
    try {
      await this.deps.api.core.patchNamespacedPodStatus(
        { name: meta.name!, namespace: meta.namespace!, body: { status } },
        MERGE_PATCH,
      );
      this.lastStatus = text;
    } catch (e) {
      if (httpStatus(e) === 404) return;
      this.deps.log('warn', 'pod status update failed; will retry', {
        pod: this.key,
        error: errorMessage(e),
      });
      setTimeout(() => this.kick(), 1000);
    }
  }

  private async stopContainers(graceMs: number): Promise<void> {
    await this.running?.stop(graceMs);
  }

  /** Releases the sandbox; `keepFiles` keeps the logs of a pod that ran to completion. */
  private async teardown(keepFiles = false): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    if (sandbox) {
      await this.deps.sandboxes.destroy(sandbox, keepFiles);
      this.deps.log('info', 'sandbox removed', { pod: this.key, podIP: sandbox.podIP });
    }
    if (!keepFiles) await this.deps.sandboxes.removeFiles(this.uid);
  }

  private async deleteForGood(): Promise<void> {
    const meta = this.pod.metadata!;
    try {
      await this.deps.api.core.deleteNamespacedPod({
        name: meta.name!,
        namespace: meta.namespace!,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: meta.uid! } },
      });
    } catch (e) {
      const code = httpStatus(e);
      // 404: already gone; 409: a newer pod with the same name (our precondition protected it).
      if (code !== 404 && code !== 409) throw e;
    }
  }

  private finish(): void {
    this.finished = true;
    this.deps.done(this.uid);
  }
}
