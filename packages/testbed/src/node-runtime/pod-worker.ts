import { randomBytes } from 'node:crypto';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { MERGE_PATCH } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import { Container, type RestartPolicy } from './container.js';
import { ContainerEnvError, containerEnv, expandVars } from './container-env.js';
import { type ImageContext, resolveImage } from './images.js';
import { type Logger, errorMessage, httpStatus } from './logger.js';
import { type ConditionHistory, buildPodStatus, podPhase } from './pod-status.js';
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

  private startContainers(sandbox: SandboxRecord): void {
    const pod = this.pod;
    const restartPolicy = (pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
    const logDir = this.deps.sandboxes.podDir(sandbox.uid);
    for (const spec of pod.spec?.containers ?? []) {
      const image = resolveImage(spec, pod, this.deps.images);
      let launch: ConstructorParameters<typeof Container>[2];
      if ('reason' in image) {
        launch = image;
      } else {
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
          launch = {
            // kubelet expands $(VAR) in command and args with the container's environment.
            argv: image.argv.map((a) => expandVars(a, env)),
            env: { ...env, ...image.env },
            netns: sandbox.netns,
            log: `${logDir}/${spec.name}.log`,
          };
        } catch (e) {
          if (!(e instanceof ContainerEnvError)) throw e;
          launch = { reason: 'CreateContainerConfigError', message: e.message };
        }
      }
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

  private view(): Parameters<typeof podPhase>[0] {
    return {
      sandboxReady: this.sandbox !== undefined,
      podIP: this.sandbox?.podIP,
      hostIP: this.deps.config.internalIP,
      startTime: this.startTime,
      restartPolicy: (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy,
      containers: this.containerViews(),
    };
  }

  private containerViews(): Parameters<typeof podPhase>[0]['containers'] {
    if (this.containers.length === 0) {
      // Before the sandbox exists every container waits in ContainerCreating.
      return (this.pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        id: '',
        state: {
          kind: 'waiting',
          reason: 'ContainerCreating',
          ...(this.sandboxError ? { message: this.sandboxError } : {}),
        },
        restartCount: 0,
        ready: false,
      }));
    }
    return this.containers.map(({ container, readiness }) => ({
      name: container.name,
      image: container.image,
      id: container.id,
      state: container.state,
      ...(container.lastTermination ? { lastTermination: container.lastTermination } : {}),
      restartCount: container.restartCount,
      ready: container.running && (readiness ? readiness.healthy : true),
    }));
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
    this.stopProbes();
    await Promise.all(this.containers.map((c) => c.container.stop(graceMs)));
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
