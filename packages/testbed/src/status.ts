import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { isRecordAlive } from './daemon.js';
import { DEFAULT_NAME, DEFAULT_STATE_ROOT } from './options.js';
import { readState } from './state.js';

export interface TestbedStatus {
  name: string;
  /** down: no state; starting: `up` has not finished; ready: every process alive; degraded: some died. */
  phase: 'down' | 'starting' | 'ready' | 'degraded';
  stateDir: string;
  kubeconfig?: string;
  processes: { role: string; pid: number; alive: boolean; log: string }[];
  /** From the API when it answers; `apiError` says why not otherwise. */
  nodes?: { name: string; ready: boolean; internalIP?: string; podCIDR?: string }[];
  apiError?: string;
}

export async function testbedStatus(
  name = DEFAULT_NAME,
  stateRoot = DEFAULT_STATE_ROOT,
): Promise<TestbedStatus> {
  const stateDir = `${stateRoot}/${name}`;
  const state = await readState(`${stateDir}/state.json`);
  if (!state) return { name, phase: 'down', stateDir, processes: [] };
  const processes = state.processes.map((p) => ({
    role: p.role,
    pid: p.pid,
    alive: isRecordAlive(p),
    log: p.log,
  }));
  const phase =
    state.phase === 'starting'
      ? 'starting'
      : processes.every((p) => p.alive)
        ? 'ready'
        : 'degraded';
  const status: TestbedStatus = {
    name,
    phase,
    stateDir,
    kubeconfig: `${stateDir}/kubeconfig`,
    processes,
  };
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(`${stateDir}/kubeconfig`);
    const nodes = await kc.makeApiClient(CoreV1Api).listNode({ timeoutSeconds: 5 });
    status.nodes = nodes.items.map((n) => ({
      name: n.metadata?.name ?? '',
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      podCIDR: n.spec?.podCIDR,
    }));
  } catch (e) {
    status.apiError = e instanceof Error ? e.message : String(e);
  }
  return status;
}
