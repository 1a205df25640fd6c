import type { ContainerState, RestartPolicy } from './container.js';

export interface ContainerView {
  name: string;
  image: string;
  id: string;
  state: ContainerState;
  lastTermination?: Extract<ContainerState, { kind: 'terminated' }>;
  restartCount: number;
  ready: boolean;
}

export interface PodView {
  sandboxReady: boolean;
  /** Init containers run so far, in order; `initialized` once the last one succeeded. */
  initContainers: ContainerView[];
  initialized: boolean;
  podIP?: string;
  hostIP: string;
  startTime: string;
  restartPolicy: RestartPolicy;
  containers: ContainerView[];
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Condition type -> [status, lastTransitionTime]; carried from one status to the next. */
export type ConditionHistory = Map<string, [string, string]>;

/** The pod phase from its containers, following kubelet's rules. */
export function podPhase(view: PodView): PodPhase {
  const states = view.containers.map((c) => c.state);
  if (!view.sandboxReady || states.length === 0) return 'Pending';
  const initFailed = view.initContainers.some(
    (c) => c.state.kind === 'terminated' && c.state.exitCode !== 0,
  );
  if (initFailed && view.restartPolicy === 'Never') return 'Failed';
  if (!view.initialized) return 'Pending';
  const terminated = states.filter((s) => s.kind === 'terminated');
  if (terminated.length === states.length) {
    return terminated.every((s) => s.kind === 'terminated' && s.exitCode === 0)
      ? 'Succeeded'
      : 'Failed';
  }
  const started = view.containers.some(
    (c) => c.state.kind !== 'waiting' || c.lastTermination !== undefined,
  );
  return started ? 'Running' : 'Pending';
}

/** The pod's `status` as a JSON object for a merge patch. */
export function buildPodStatus(
  view: PodView,
  history: ConditionHistory,
  now = new Date().toISOString(),
): Record<string, unknown> {
  const allReady = view.containers.length > 0 && view.containers.every((c) => c.ready);
  const notReady = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const reason = notReady.length ? 'ContainersNotReady' : undefined;
  const message = notReady.length
    ? `containers with unready status: [${notReady.join(' ')}]`
    : undefined;
  const conditions = [
    condition(history, now, 'PodReadyToStartContainers', view.sandboxReady),
    condition(
      history,
      now,
      'Initialized',
      view.initialized,
      'ContainersNotInitialized',
      `containers with incomplete status: [${incompleteInits(view).join(' ')}]`,
    ),
    condition(history, now, 'Ready', allReady, reason, message),
    condition(history, now, 'ContainersReady', allReady, reason, message),
    condition(history, now, 'PodScheduled', true),
  ];
  const status: Record<string, unknown> = {
    phase: podPhase(view),
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: view.startTime,
    containerStatuses: view.containers.map(containerStatus),
  };
  if (view.initContainers.length)
    status.initContainerStatuses = view.initContainers.map(containerStatus);
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  return status;
}

function incompleteInits(view: PodView): string[] {
  return view.initContainers
    .filter((c) => !(c.state.kind === 'terminated' && c.state.exitCode === 0))
    .map((c) => c.name);
}

function condition(
  history: ConditionHistory,
  now: string,
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): Record<string, unknown> {
  const status = ok ? 'True' : 'False';
  const prev = history.get(type);
  const since = prev && prev[0] === status ? prev[1] : now;
  history.set(type, [status, since]);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: since,
    ...(ok ? {} : { reason, message }),
  };
}

function containerStatus(c: ContainerView): Record<string, unknown> {
  const containerID = `testbed://${c.id}`;
  return {
    name: c.name,
    image: c.image,
    imageID: `testbed://${c.image}`,
    containerID,
    ready: c.ready,
    started: c.state.kind === 'running',
    restartCount: c.restartCount,
    state: stateJson(c.state, containerID),
    lastState: c.lastTermination ? stateJson(c.lastTermination, containerID) : {},
  };
}

function stateJson(s: ContainerState, containerID: string): Record<string, unknown> {
  switch (s.kind) {
    case 'waiting':
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case 'running':
      return { running: { startedAt: s.startedAt } };
    case 'terminated':
      return {
        terminated: {
          exitCode: s.exitCode,
          reason: s.reason,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
          containerID,
          ...(s.signal ? { signal: s.signal } : {}),
        },
      };
  }
}
