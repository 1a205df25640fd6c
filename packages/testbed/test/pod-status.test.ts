import { describe, expect, it } from 'vitest';
import {
  type ConditionHistory,
  type ContainerView,
  type PodView,
  buildPodStatus,
  podPhase,
} from '../src/node-runtime/pod-status.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:05.000Z';

function container(partial: Partial<ContainerView>): ContainerView {
  return {
    name: 'app',
    image: 'switchyard/echo',
    id: 'abc',
    state: { kind: 'running', startedAt: T0 },
    restartCount: 0,
    ready: true,
    ...partial,
  };
}

function view(containers: ContainerView[], partial: Partial<PodView> = {}): PodView {
  return {
    sandboxReady: true,
    initContainers: [],
    initialized: true,
    podIP: '10.244.0.7',
    hostIP: '172.31.255.2',
    startTime: T0,
    restartPolicy: 'Always',
    containers,
    ...partial,
  };
}

/** A container that ran from T0 to T1 and exited with `exitCode`. */
const done = (exitCode: number): ContainerView['state'] => ({
  kind: 'terminated',
  exitCode,
  reason: exitCode ? 'Error' : 'Completed',
  startedAt: T0,
  finishedAt: T1,
});

describe('pod status', () => {
  it('phases follow the containers', () => {
    expect(podPhase(view([container({})], { sandboxReady: false }))).toBe('Pending');
    expect(
      podPhase(view([container({ state: { kind: 'waiting', reason: 'ContainerCreating' } })])),
    ).toBe('Pending');
    expect(podPhase(view([container({})]))).toBe('Running');
    expect(podPhase(view([container({ state: done(0) }), container({ state: done(0) })]))).toBe(
      'Succeeded',
    );
    expect(podPhase(view([container({ state: done(0) }), container({ state: done(2) })]))).toBe(
      'Failed',
    );
    // Waiting to restart after a crash is still Running.
    expect(
      podPhase(
        view([
          container({
            state: { kind: 'waiting', reason: 'CrashLoopBackOff' },
            lastTermination: done(1) as never,
          }),
        ]),
      ),
    ).toBe('Running');
  });

  it('reports IPs, readiness conditions and container states', () => {
    const history: ConditionHistory = new Map();
    const s = buildPodStatus(
      view([container({}), container({ name: 'side', ready: false })]),
      history,
      T0,
    );
    expect(s).toMatchObject({
      phase: 'Running',
      podIP: '10.244.0.7',
      podIPs: [{ ip: '10.244.0.7' }],
      hostIP: '172.31.255.2',
    });
    const conditions = s.conditions as {
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }[];
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [side]',
    });
    const statuses = s.containerStatuses as Record<string, unknown>[];
    expect(statuses[0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      containerID: 'testbed://abc',
      state: { running: { startedAt: T0 } },
    });
  });

  it('keeps lastTransitionTime until the status flips', () => {
    const history: ConditionHistory = new Map();
    const ready = (s: Record<string, unknown>): { status: string; lastTransitionTime: string } =>
      (s.conditions as { type: string; status: string; lastTransitionTime: string }[]).find(
        (c) => c.type === 'Ready',
      )!;
    expect(ready(buildPodStatus(view([container({ ready: false })]), history, T0))).toMatchObject({
      status: 'False',
      lastTransitionTime: T0,
    });
    expect(ready(buildPodStatus(view([container({ ready: false })]), history, T1))).toMatchObject({
      status: 'False',
      lastTransitionTime: T0,
    });
    expect(ready(buildPodStatus(view([container({ ready: true })]), history, T1))).toMatchObject({
      status: 'True',
      lastTransitionTime: T1,
    });
  });

  it('a terminated container carries its exit code and signal number', () => {
    const s = buildPodStatus(
      view(
        [
          container({
            state: {
              kind: 'terminated',
              exitCode: 137,
              signal: 9,
              reason: 'Error',
              startedAt: T0,
              finishedAt: T1,
            },
            ready: false,
          }),
        ],
        { restartPolicy: 'Never' },
      ),
      new Map(),
      T1,
    );
    expect(s.phase).toBe('Failed');
    expect((s.containerStatuses as { state: unknown }[])[0]!.state).toEqual({
      terminated: {
        exitCode: 137,
        signal: 9,
        reason: 'Error',
        startedAt: T0,
        finishedAt: T1,
        containerID: 'testbed://abc',
      },
    });
  });

  it('init containers hold the pod in Pending until they succeed; a failed one fails a Never pod', () => {
    const waiting = container({
      state: { kind: 'waiting', reason: 'PodInitializing' },
      ready: false,
    });
    const initRunning = view([waiting], {
      initContainers: [container({ name: 'init', ready: false })],
      initialized: false,
    });
    expect(podPhase(initRunning)).toBe('Pending');
    const s = buildPodStatus(initRunning, new Map(), T0);
    expect(
      (s.conditions as { type: string }[]).find((c) => c.type === 'Initialized'),
    ).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init]',
    });
    expect((s.initContainerStatuses as { name: string }[])[0]!.name).toBe('init');
    const failed = view([waiting], {
      initContainers: [container({ name: 'init', state: done(1), ready: false })],
      initialized: false,
      restartPolicy: 'Never',
    });
    expect(podPhase(failed)).toBe('Failed');
    expect(podPhase({ ...failed, restartPolicy: 'Always' })).toBe('Pending');
    expect(
      buildPodStatus(view([container({})]), new Map(), T0).initContainerStatuses,
    ).toBeUndefined();
  });
});
