// Building blocks of the Services e2e: the proxy's manifests applied to a testbed, pods, services
// and the probe run from pod and lab namespaces.
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { type RunResult, run } from '@switchyard/linux';
import type { Testbed } from '@switchyard/testbed';
import { eventually } from '../helpers.js';

export const PROXY_MANIFEST = fileURLToPath(
  new URL('../../../apps/switchyard-proxy/manifests/switchyard-proxy.yaml', import.meta.url),
);
export const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));

interface KubeList {
  items: {
    kind: string;
    spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
  }[];
}

/**
 * Applies the distribution's manifest (ServiceAccount, ClusterRole, binding, DaemonSet) with
 * `extraArgs` added to the proxy's command line, and waits until a proxy pod is Ready (its first
 * full sync is in the kernel) on every node.
 */
export async function installProxy(tb: Testbed, extraArgs: string[]): Promise<void> {
  const rendered = await tb.kubectl([
    'create',
    '--dry-run=client',
    '-o',
    'json',
    '-f',
    PROXY_MANIFEST,
  ]);
  if (rendered.exitCode !== 0) throw new Error(`kubectl: ${rendered.stderr}`);
  // One pretty-printed object per document, each opening and closing at column 0.
  const list: KubeList = {
    items: JSON.parse(`[${rendered.stdout.replace(/^}\s*^{/gm, '},{')}]`) as KubeList['items'],
  };
  for (const item of list.items) {
    const container =
      item.kind === 'DaemonSet' ? item.spec?.template?.spec?.containers?.[0] : undefined;
    if (container) container.args = [...(container.args ?? []), ...extraArgs];
  }
  const applied = await tb.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list.items }),
  });
  if (applied.exitCode !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
  await proxyPodsReady(tb);
}

/** The proxy pods, one Ready per node; returns them by node name. */
export async function proxyPodsReady(tb: Testbed, timeoutMs = 90_000): Promise<Map<string, V1Pod>> {
  const core = tb.kubeConfig.makeApiClient(CoreV1Api);
  const apps = tb.kubeConfig.makeApiClient(AppsV1Api);
  return eventually(
    'a Ready switchyard-proxy pod on every node',
    async () => {
      const ds = await apps.readNamespacedDaemonSet({
        name: 'switchyard-proxy',
        namespace: 'kube-system',
      });
      if ((ds.status?.numberReady ?? 0) < tb.nodes.length) return undefined;
      const pods = await core.listNamespacedPod({
        namespace: 'kube-system',
        labelSelector: 'app.kubernetes.io/name=switchyard-proxy',
      });
      const ready = pods.items.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      const byNode = new Map(ready.map((p) => [p.spec!.nodeName!, p]));
      return byNode.size === tb.nodes.length ? byNode : undefined;
    },
    timeoutMs,
  );
}

export function echoPod(
  name: string,
  node: string,
  labels: Record<string, string>,
  options: { ports?: number[]; readinessPort?: number } = {},
): V1Pod {
  const ports = options.ports ?? [8080];
  return {
    metadata: { name, labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'echo',
          image: 'switchyard/echo',
          ports: ports.map((containerPort) => ({ containerPort })),
          readinessProbe: {
            httpGet: { path: '/hostname', port: options.readinessPort ?? ports[0]! },
            periodSeconds: 1,
          },
        },
      ],
    },
  };
}

/** A toolbox pod: `sleep infinity`, or `command` (the host's programs, e.g. node + the probe). */
export function toolboxPod(name: string, node: string, command?: string[]): V1Pod {
  return {
    metadata: { name },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'switchyard/toolbox', ...(command ? { command } : {}) }],
    },
  };
}

export function service(
  name: string,
  selector: Record<string, string>,
  spec: Partial<NonNullable<V1Service['spec']>> = {},
): V1Service {
  return {
    metadata: { name },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  };
}

/** Runs the probe in a pod's network namespace; one output line per answer. */
export async function probeFromPod(tb: Testbed, pod: string, args: string[]): Promise<string[]> {
  return lines(
    await tb.execInPod('default', pod, [process.execPath, PROBE, ...args], { timeoutMs: 60_000 }),
  );
}

/** Runs the probe in the lab namespace: outside the cluster, on the nodes' underlay. */
export async function probeFromLab(tb: Testbed, args: string[]): Promise<string[]> {
  return lines(
    await run(['ip', 'netns', 'exec', tb.layout.labNetns, process.execPath, PROBE, ...args], {
      timeoutMs: 60_000,
    }),
  );
}

function lines(r: RunResult): string[] {
  if (r.exitCode !== 0) throw new Error(`probe exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}
