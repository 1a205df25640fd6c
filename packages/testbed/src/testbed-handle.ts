import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { type RunOptions, type RunResult, runUnchecked } from '@switchyard/linux';
import { TestbedStateError } from './errors.js';
import { APISERVER_PORT, type TestbedLayout, nodeDir, nodeNetns, podNetns } from './layout.js';
import type { ResolvedOptions } from './options.js';
import type { NodeRecord, TestbedState } from './state.js';
import { type TeardownReport, teardown } from './teardown.js';

/** A running testbed, seen from the root namespace. */
export interface Testbed {
  readonly name: string;
  readonly options: ResolvedOptions;
  readonly layout: TestbedLayout;
  /** Admin kubeconfig usable from the root namespace. */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly nodes: readonly NodeRecord[];
  /** The apiserver URL inside the lab/node/pod namespaces. */
  readonly apiserverLabUrl: string;
  /** The pinned kubectl binary (tools/k8s). */
  readonly kubectlPath: string;
  /** Runs the pinned kubectl against the testbed; never throws on a non-zero exit. */
  kubectl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs a command in a node's namespace; resolves with its exit code. */
  execInNode(node: string, argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs a command in a pod's network namespace (with its resolv.conf); resolves with its exit code. */
  execInPod(
    namespace: string,
    pod: string,
    argv: readonly string[],
    options?: RunOptions,
  ): Promise<RunResult>;
  /** The network namespace a pod runs in (its own, or its node's for hostNetwork pods). */
  podNetns(namespace: string, pod: string): Promise<string>;
  /**
   * The file a container's output goes to (there is no kubelet API for `kubectl logs`); the
   * first container when none is named. It exists once the container has started.
   */
  podLogPath(namespace: string, pod: string, container?: string): Promise<string>;
  /** `<stateDir>/nodes/<node>`: the node's net.d, CNI cache, host-local data and pod files. */
  nodeDir(node: string): string;
  down(): Promise<TeardownReport>;
}

/** The handle on a testbed described by its state. */
export function attach(
  state: TestbedState,
  layout: TestbedLayout,
  kubeConfig: KubeConfig,
): Testbed {
  const opts = state.options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const scheduledPod = async (namespace: string, pod: string): Promise<V1Pod> => {
    const p = await core.readNamespacedPod({ name: pod, namespace }).catch((e: unknown) => {
      if ((e as { code?: number }).code !== 404) throw e;
      throw new TestbedStateError(state.name, `has no pod ${namespace}/${pod}`);
    });
    if (!p.metadata?.uid || !p.spec?.nodeName) {
      throw new TestbedStateError(state.name, `pod ${namespace}/${pod} is not scheduled`);
    }
    return p;
  };
  const podNs = async (namespace: string, pod: string): Promise<string> => {
    const p = await scheduledPod(namespace, pod);
    return p.spec!.hostNetwork
      ? nodeNetns(layout.netnsPrefix, p.spec!.nodeName!)
      : podNetns(layout.netnsPrefix, p.metadata!.uid!);
  };
  const podLog = async (namespace: string, pod: string, container?: string): Promise<string> => {
    const p = await scheduledPod(namespace, pod);
    const names = [...(p.spec!.initContainers ?? []), ...p.spec!.containers].map((c) => c.name);
    const name = container ?? p.spec!.containers[0]!.name;
    if (!names.includes(name)) {
      throw new TestbedStateError(
        state.name,
        `pod ${namespace}/${pod} has no container ${name} (it has ${names.join(', ')})`,
      );
    }
    return `${nodeDir(layout.stateDir, p.spec!.nodeName!)}/pods/${p.metadata!.uid}/${name}.log`;
  };
  return {
    name: state.name,
    options: opts,
    layout,
    kubeconfigPath: layout.kubeconfig,
    kubeConfig,
    nodes: state.nodes,
    apiserverLabUrl: `https://${opts.labIP}:${APISERVER_PORT}`,
    kubectlPath: state.kubectl,
    kubectl: (args, o) =>
      runUnchecked([state.kubectl, `--kubeconfig=${layout.kubeconfig}`, ...args], o),
    execInNode: (node, argv, o) =>
      runUnchecked(['ip', 'netns', 'exec', nodeNetns(layout.netnsPrefix, node), ...argv], o),
    execInPod: async (namespace, pod, argv, o) =>
      runUnchecked(['ip', 'netns', 'exec', await podNs(namespace, pod), ...argv], o),
    podNetns: podNs,
    podLogPath: podLog,
    nodeDir: (node) => nodeDir(layout.stateDir, node),
    down: () => teardown(layout.netnsPrefix, layout.stateDir),
  };
}
