import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { run, runUnchecked } from '@switchyard/linux';
import {
  COREDNS_CONFIGMAP,
  type DistributionPart,
  GATEWAY_API_CRDS,
  type KubeObject,
  applyInput,
} from './distribution.js';
import { nodeNetns, podNetns } from './layout.js';
import { waitFor } from './wait.js';

export interface InstallContext {
  kubectl: string;
  kubeconfig: string;
  kubeConfig: KubeConfig;
  /** Waits end here (the testbed's start deadline). */
  deadline: number;
  timeoutMs: number;
  /** Logs worth reading when a wait times out. */
  logs: readonly string[];
}

/**
 * `kubectl apply` of the given parts of a rendered distribution, with what each needs first:
 * the Gateway API CRDs (Established) before the ingress part's GatewayClass, kubeadm's coredns
 * ConfigMap before the dns part.
 */
export async function applyParts(
  ctx: InstallContext,
  rendered: ReadonlyMap<DistributionPart, readonly KubeObject[]>,
  parts: readonly DistributionPart[],
): Promise<void> {
  const kubectl = (args: string[], input?: string): Promise<unknown> =>
    run([ctx.kubectl, `--kubeconfig=${ctx.kubeconfig}`, ...args], input ? { input } : {});
  if (parts.includes('ingress')) {
    await kubectl(['apply', '-f', GATEWAY_API_CRDS]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', GATEWAY_API_CRDS]);
  }
  if (parts.includes('dns')) await kubectl(['apply', '-f', COREDNS_CONFIGMAP]);
  const objects = parts.flatMap((p) => rendered.get(p) ?? []);
  await kubectl(['apply', '-f', '-'], applyInput(objects));
}

/** Waits until every DaemonSet and Deployment among `objects` has all its pods ready and updated. */
export async function waitForWorkloads(
  ctx: InstallContext,
  objects: readonly KubeObject[],
): Promise<void> {
  const apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
  for (const o of objects) {
    const ref = { name: o.metadata.name, namespace: o.metadata.namespace ?? 'default' };
    if (o.kind === 'DaemonSet') {
      await waitFor(
        `DaemonSet ${ref.namespace}/${ref.name} ready on every node`,
        async () => {
          const s = (await apps.readNamespacedDaemonSet(ref)).status;
          const want = s?.desiredNumberScheduled ?? 0;
          return want > 0 && s?.numberReady === want && s.updatedNumberScheduled === want
            ? true
            : undefined;
        },
        { timeoutMs: ctx.timeoutMs, deadline: ctx.deadline, logs: ctx.logs },
      );
    } else if (o.kind === 'Deployment') {
      await waitFor(
        `Deployment ${ref.namespace}/${ref.name} ready`,
        async () => {
          const d = await apps.readNamespacedDeployment(ref);
          const want = d.spec?.replicas ?? 1;
          const s = d.status;
          return s?.readyReplicas === want && s.updatedReplicas === want ? true : undefined;
        },
        { timeoutMs: ctx.timeoutMs, deadline: ctx.deadline, logs: ctx.logs },
      );
    }
  }
}

export interface DnsCheck {
  netnsPrefix: string;
  /** The kube-dns ClusterIP: asked too when a service proxy carries it. */
  clusterDNS?: string;
  clusterDomain: string;
  /** The answer `kubernetes.default.svc.<domain>` must have. */
  kubernetesServiceIP: string;
}

/**
 * Waits until every switchyard-dns replica answers `kubernetes.default.svc.<domain>` with the
 * kubernetes Service's address, asked at its pod IP from its node; with `clusterDNS`, also at
 * the ClusterIP from inside each replica's pod namespace (a pod's view: nodes here have no
 * default route, so a ClusterIP is unreachable from the node itself).
 */
export async function waitForDnsAnswers(ctx: InstallContext, check: DnsCheck): Promise<void> {
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  const name = `kubernetes.default.svc.${check.clusterDomain}`;
  const answers = async (netns: string, server: string): Promise<boolean> => {
    const argv = ['dig', '+short', '+time=1', '+tries=1', `@${server}`, name, 'A'];
    const r = await runUnchecked(['ip', 'netns', 'exec', netns, ...argv], { timeoutMs: 5000 });
    return r.exitCode === 0 && r.stdout.trim().split('\n').includes(check.kubernetesServiceIP);
  };
  await waitFor(
    `DNS answers at every replica${check.clusterDNS ? ` and at ${check.clusterDNS}` : ''}`,
    async () => {
      const pods = (
        await core.listNamespacedPod({
          namespace: 'kube-system',
          labelSelector: 'k8s-app=kube-dns',
        })
      ).items;
      if (!pods.length) return undefined;
      for (const p of pods) {
        const [ip, uid, node] = [p.status?.podIP, p.metadata?.uid, p.spec?.nodeName];
        if (!ip || !uid || !node) return undefined;
        if (!(await answers(nodeNetns(check.netnsPrefix, node), ip))) return undefined;
        const pod = podNetns(check.netnsPrefix, uid);
        if (check.clusterDNS && !(await answers(pod, check.clusterDNS))) return undefined;
      }
      return true;
    },
    { timeoutMs: ctx.timeoutMs, deadline: ctx.deadline, logs: ctx.logs, intervalMs: 500 },
  );
}
