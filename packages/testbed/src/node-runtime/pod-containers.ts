import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { NodeRuntimeConfig } from './config.js';
import { Container, type RestartPolicy } from './container.js';
import { ContainerEnvError, containerEnv, expandVars } from './container-env.js';
import { type ImageContext, resolveImage } from './images.js';
import type { EventType } from './events.js';
import type { Logger } from './logger.js';
import type { ContainerView, PodView } from './pod-status.js';
import { ProbeRunner, type ProbeTarget } from './probes.js';
import type { SandboxRecord, Sandboxes } from './sandbox.js';

export interface ContainerContext {
  config: NodeRuntimeConfig;
  images: ImageContext;
  sandboxes: Sandboxes;
  log: Logger;
  /** Posts an event about this pod. */
  event: (type: EventType, reason: string, message: string) => void;
  /** ConfigMaps referenced by the pod's env, by name (missing ones are absent). */
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

interface RunningContainer {
  container: Container;
  spec: V1Container;
  readiness?: ProbeRunner;
  liveness?: ProbeRunner;
}

/**
 * The processes of one pod in its sandbox: init containers one by one, then the app containers
 * with their readiness and liveness probes. `onChange` fires whenever the status may have moved.
 */
export class PodContainers {
  private containers: RunningContainer[] = [];
  private inits: Container[] = [];
  private initialized = false;
  private stopping = false;

  constructor(
    private readonly pod: V1Pod,
    private readonly sandbox: SandboxRecord,
    private readonly ctx: ContainerContext,
    private readonly onChange: () => void,
  ) {}

  /** Init containers one after another (each to success), then the app containers. */
  start(): void {
    if ((this.pod.spec?.initContainers ?? []).length === 0) {
      this.initialized = true;
      this.startAppContainers();
    } else {
      this.startInit(0);
    }
  }

  private startInit(index: number): void {
    const specs = this.pod.spec?.initContainers ?? [];
    const spec = specs[index]!;
    // A failed init container is retried (with backoff) unless the pod never restarts.
    const policy: RestartPolicy = this.pod.spec?.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
    const c: Container = new Container(
      spec.name,
      spec.image ?? '',
      this.launch(spec),
      policy,
      () => {
        const succeeded = c.state.kind === 'terminated' && c.state.exitCode === 0;
        if (succeeded && !this.stopping) {
          if (index + 1 < specs.length) {
            this.startInit(index + 1);
          } else {
            this.initialized = true;
            this.startAppContainers();
          }
        }
        this.onChange();
      },
    );
    this.inits.push(c);
    this.startContainer(c);
  }

  private startContainer(c: Container): void {
    c.start();
    if (c.state.kind === 'running') {
      this.ctx.event('Normal', 'Started', `Started container ${c.name}`);
    } else if (c.state.kind === 'waiting') {
      const why = c.state.message ? `: ${c.state.message}` : '';
      this.ctx.event('Warning', 'Failed', `Error: ${c.state.reason}${why}`);
    }
  }

  /** How to run a container: its program, environment and log, or why it cannot start. */
  private launch(spec: V1Container): ConstructorParameters<typeof Container>[2] {
    const pod = this.pod;
    const sandbox = this.sandbox;
    const image = resolveImage(spec, pod, this.ctx.images);
    if ('reason' in image) return image;
    try {
      const env = containerEnv(pod, spec, {
        podIP: sandbox.podIP,
        hostIP: this.ctx.config.internalIP,
        kubeconfig: sandbox.kubeconfig,
        serviceAccountDir: sandbox.serviceAccountDir,
        nodeDir: this.ctx.config.dir,
        apiserverHost: this.ctx.config.apiserverHost,
        apiserverPort: this.ctx.config.apiserverPort,
        configMaps: this.ctx.configMaps,
        imageEnv: image.env,
      });
      return {
        // kubelet expands $(VAR) in command and args with the container's environment.
        argv: image.argv.map((a) => expandVars(a, env)),
        env,
        netns: sandbox.netns,
        log: `${this.ctx.sandboxes.podDir(sandbox.uid)}/${spec.name}.log`,
        pidFile: `${this.ctx.sandboxes.podDir(sandbox.uid)}/${spec.name}.pid`,
      };
    } catch (e) {
      if (!(e instanceof ContainerEnvError)) throw e;
      return { reason: 'CreateContainerConfigError', message: e.message };
    }
  }

  private startAppContainers(): void {
    const sandbox = this.sandbox;
    const restartPolicy = (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
    for (const spec of this.pod.spec?.containers ?? []) {
      const launch = this.launch(spec);
      const rc: RunningContainer = {
        spec,
        container: new Container(spec.name, spec.image ?? '', launch, restartPolicy, () => {
          // A restarted container is not ready until its readiness probe passes again.
          if (!rc.container.running && rc.readiness) rc.readiness.healthy = false;
          this.onChange();
        }),
      };
      const target = (): ProbeTarget | undefined =>
        rc.container.running && sandbox.podIP
          ? { podIP: sandbox.podIP, netns: sandbox.netns, ports: spec.ports ?? [] }
          : undefined;
      if (spec.readinessProbe) {
        rc.readiness = new ProbeRunner(
          spec.readinessProbe,
          target,
          false,
          () => this.onChange(),
          (message) => this.ctx.event('Warning', 'Unhealthy', `Readiness probe failed: ${message}`),
        );
      }
      if (spec.livenessProbe) {
        rc.liveness = new ProbeRunner(spec.livenessProbe, target, true, (healthy, message) => {
          if (healthy) return;
          this.ctx.log('info', 'liveness probe failed; restarting container', {
            pod: `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`,
            container: spec.name,
            message,
          });
          this.ctx.event('Warning', 'Unhealthy', `Liveness probe failed: ${message}`);
          this.ctx.event(
            'Normal',
            'Killing',
            `Container ${spec.name} failed liveness probe, will be restarted`,
          );
          rc.liveness!.healthy = true;
          rc.container.kill();
        });
      }
      this.containers.push(rc);
      this.startContainer(rc.container);
      rc.readiness?.start();
      rc.liveness?.start();
    }
  }

  views(): Pick<PodView, 'initContainers' | 'initialized' | 'containers'> {
    const spec = this.pod.spec;
    return {
      initContainers: (spec?.initContainers ?? []).map((s, i) => {
        const c = this.inits[i];
        if (!c) return pendingView(s, 'PodInitializing');
        const done = c.state.kind === 'terminated' && c.state.exitCode === 0;
        return { ...containerView(c), ready: done };
      }),
      initialized: this.initialized,
      containers: this.containers.length
        ? this.containers.map(({ container, readiness }) => ({
            ...containerView(container),
            ready: container.running && (readiness ? readiness.healthy : true),
          }))
        : (spec?.containers ?? []).map((s) => pendingView(s, 'PodInitializing')),
    };
  }

  stopProbes(): void {
    for (const c of this.containers) {
      c.readiness?.stop();
      c.liveness?.stop();
    }
  }

  /**
   * Stops everything (SIGTERM, SIGKILL after `graceMs`); nothing starts or restarts afterwards.
   * `announce` posts a Killing event per running container (not when the node runtime exits).
   */
  async stop(graceMs: number, announce = true): Promise<void> {
    this.stopping = true;
    this.stopProbes();
    for (const c of [...this.inits, ...this.containers.map((r) => r.container)]) {
      if (announce && c.running)
        this.ctx.event('Normal', 'Killing', `Stopping container ${c.name}`);
    }
    await Promise.all([
      ...this.inits.map((c) => c.stop(graceMs)),
      ...this.containers.map((c) => c.container.stop(graceMs)),
    ]);
  }
}

/** A container that has not started: waiting with `reason` (and why, when known). */
export function pendingView(spec: V1Container, reason: string, message?: string): ContainerView {
  return {
    name: spec.name,
    image: spec.image ?? '',
    id: '',
    state: { kind: 'waiting', reason, ...(message ? { message } : {}) },
    restartCount: 0,
    ready: false,
  };
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
