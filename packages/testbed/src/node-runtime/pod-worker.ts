import { randomBytes } from 'node:crypto';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { MERGE_PATCH } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import { Container, type RestartPolicy } from './container.js';
import { ContainerEnvError, containerEnv, expandVars } from './container-env.js';
import { type ImageContext, resolveImage } from './images.js';
import { type Logger, errorMessage, httpStatus } from './logger.js';
import {
  type ConditionHistory,
  type ContainerView,
  type PodView,
  buildPodStatus,
  podPhase,
} from './pod-status.js';
import { ProbeRunner, type ProbeTarget } from './probes.js';
import type { SandboxRecord, Sandboxes } from './sandbox.js';

export interface PodWorkerDeps {
  config: NodeRuntimeConfig;
  api: NodeApi;
  sandboxes: Sandboxes;
  images: ImageContext;
  networkReady: () => Promise<boolean>;
  log: Logger;
  /** Called once the worker has nothing left to do (pod deleted and cleaned up). */
  done: (uid: string) => void;
}

interface RunningContainer {
  container: Container;
  spec: V1Container;
  readiness?: ProbeRunner;
  liveness?: ProbeRunner;
}

const MAX_GRACE_MS = 30_000;

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
  private containers: RunningContainer[] = [];
  private inits: Container[] = [];
  private initialized = false;
  private stopping = false;
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
    await this.stopContainers(1000);
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
      this.stopProbes();
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
      this.sandboxError = errorMessage(e);
      this.deps.log('warn', 'sandbox creation failed; retrying', {
        pod: this.key,
        error: this.sandboxError,
      });
      this.scheduleRetry();
      return;
    }
    this.startContainers(this.sandbox);
  }

  private scheduleRetry(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  /** Init containers one after another (each to success), then the app containers. */
  private startContainers(sandbox: SandboxRecord): void {
    if ((this.pod.spec?.initContainers ?? []).length === 0) {
      this.initialized = true;
      this.startAppContainers(sandbox);
    } else {
      this.startInit(sandbox, 0);
    }
  }

  private startInit(sandbox: SandboxRecord, index: number): void {
    const specs = this.pod.spec?.initContainers ?? [];
    const spec = specs[index]!;
    // A failed init container is retried (with backoff) unless the pod never restarts.
    const policy: RestartPolicy = this.pod.spec?.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
    const c: Container = new Container(
      spec.name,
      spec.image ?? '',
      this.launch(spec, sandbox),
      policy,
      () => {
        const succeeded = c.state.kind === 'terminated' && c.state.exitCode === 0;
        if (succeeded && !this.stopping) {
          if (index + 1 < specs.length) {
            this.startInit(sandbox, index + 1);
          } else {
            this.initialized = true;
            this.startAppContainers(sandbox);
          }
        }
        this.kick();
      },
    );
    this.inits.push(c);
    c.start();
  }

  /** How to run a container: its program, environment and log, or why it cannot start. */
  private launch(
    spec: V1Container,
    sandbox: SandboxRecord,
  ): ConstructorParameters<typeof Container>[2] {
    const pod = this.pod;
    const image = resolveImage(spec, pod, this.deps.images);
    if ('reason' in image) return image;
    try {
      const env = containerEnv(pod, spec, {
        podIP: sandbox.podIP,
        hostIP: this.deps.config.internalIP,
        kubeconfig: sandbox.kubeconfig,
        serviceAccountDir: sandbox.serviceAccountDir,
        nodeDir: this.deps.config.dir,
        apiserverHost: this.deps.config.apiserverHost,
        apiserverPort: this.deps.config.apiserverPort,
      });
      return {
        // kubelet expands $(VAR) in command and args with the container's environment.
        argv: image.argv.map((a) => expandVars(a, env)),
        env: { ...env, ...image.env },
        netns: sandbox.netns,
        log: `${this.deps.sandboxes.podDir(sandbox.uid)}/${spec.name}.log`,
      };
    } catch (e) {
      if (!(e instanceof ContainerEnvError)) throw e;
      return { reason: 'CreateContainerConfigError', message: e.message };
    }
  }

  private startAppContainers(sandbox: SandboxRecord): void {
    const restartPolicy = (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
    for (const spec of this.pod.spec?.containers ?? []) {
      const launch = this.launch(spec, sandbox);
      const rc: RunningContainer = {
        spec,
        container: new Container(spec.name, spec.image ?? '', launch, restartPolicy, () => {
          // A restarted container is not ready until its readiness probe passes again.
          if (!rc.container.running && rc.readiness) rc.readiness.healthy = false;
          this.kick();
        }),
      };
      const target = (): ProbeTarget | undefined =>
        rc.container.running && sandbox.podIP
          ? { podIP: sandbox.podIP, netns: sandbox.netns, ports: spec.ports ?? [] }
          : undefined;
      if (spec.readinessProbe) {
        rc.readiness = new ProbeRunner(spec.readinessProbe, target, false, () => this.kick());
      }
      if (spec.livenessProbe) {
        rc.liveness = new ProbeRunner(spec.livenessProbe, target, true, (healthy, message) => {
          if (healthy) return;
          this.deps.log('info', 'liveness probe failed; restarting container', {
            pod: this.key,
            container: spec.name,
            message,
          });
          rc.liveness!.healthy = true;
          rc.container.kill();
        });
      }
      this.containers.push(rc);
      rc.container.start();
      rc.readiness?.start();
      rc.liveness?.start();
    }
  }

  private terminal(): boolean {
    const phase = podPhase(this.view());
    return phase === 'Succeeded' || phase === 'Failed';
  }

  private view(): PodView {
    return {
      sandboxReady: this.sandbox !== undefined,
      podIP: this.sandbox?.podIP,
      hostIP: this.deps.config.internalIP,
      startTime: this.startTime,
      restartPolicy: (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy,
      initContainers: this.initViews(),
      initialized: this.initialized,
      containers: this.containerViews(),
    };
  }

  private containerViews(): ContainerView[] {
    if (this.containers.length === 0)
      return (this.pod.spec?.containers ?? []).map((c) => this.pending(c));
    return this.containers.map(({ container, readiness }) => ({
      ...containerView(container),
      ready: container.running && (readiness ? readiness.healthy : true),
    }));
  }

  private initViews(): ContainerView[] {
    return (this.pod.spec?.initContainers ?? []).map((spec, i) => {
      const c = this.inits[i];
      if (!c) return this.pending(spec);
      const done = c.state.kind === 'terminated' && c.state.exitCode === 0;
      return { ...containerView(c), ready: done };
    });
  }

  /** A container not started yet: ContainerCreating before the sandbox, then PodInitializing. */
  private pending(spec: V1Container): ContainerView {
    const reason = this.sandbox ? 'PodInitializing' : 'ContainerCreating';
    const message = this.sandbox ? undefined : this.sandboxError;
    return {
      name: spec.name,
      image: spec.image ?? '',
      id: '',
      state: { kind: 'waiting', reason, ...(message ? { message } : {}) },
      restartCount: 0,
      ready: false,
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

  private stopProbes(): void {
    for (const c of this.containers) {
      c.readiness?.stop();
      c.liveness?.stop();
    }
  }

  private async stopContainers(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopProbes();
    await Promise.all([
      ...this.inits.map((c) => c.stop(graceMs)),
      ...this.containers.map((c) => c.container.stop(graceMs)),
    ]);
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

function containerView(c: Container): ContainerView {
  return {
    name: c.name,
    image: c.image,
    id: c.id,
    state: c.state,
    ...(c.lastTermination ? { lastTermination: c.lastTermination } : {}),
    restartCount: c.restartCount,
    ready: false,
  };
}
