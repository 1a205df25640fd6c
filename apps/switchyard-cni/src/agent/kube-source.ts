import type { KubernetesObject } from '@kubernetes/client-node';
import {
  Informer,
  KubeClient,
  loadKubeConfig,
  patchAnnotations,
  type Logger,
  type Registry,
} from '@switchyard/kube';
import type { NodeObject } from '@switchyard/overlay';

type Node = KubernetesObject & NodeObject;
interface Pod extends KubernetesObject {
  spec?: { hostNetwork?: boolean };
  status?: { podIPs?: { ip: string }[]; podIP?: string };
}

/**
 * What the agent reads from the API server: every Node (its own for the pod CIDRs, the others for
 * the overlay) and the pods scheduled on this node (their addresses, for IPAM GC).
 */
export class KubeSource {
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;

  private constructor(
    readonly client: KubeClient,
    nodeName: string,
    logger: Logger,
    metrics: Registry,
  ) {
    this.nodes = new Informer<Node>({
      client,
      resource: { version: 'v1', plural: 'nodes' },
      name: 'nodes',
      logger,
      metrics,
    });
    this.pods = new Informer<Pod>({
      client,
      resource: { version: 'v1', plural: 'pods' },
      name: 'pods',
      fieldSelector: `spec.nodeName=${nodeName}`,
      logger,
      metrics,
    });
  }

  /** From a kubeconfig file, or the pod's service account when `kubeconfig` is undefined. */
  static async connect(
    kubeconfig: string | undefined,
    nodeName: string,
    logger: Logger,
    metrics: Registry,
  ): Promise<KubeSource> {
    // A node component never falls back to an admin's ~/.kube/config: in-cluster only.
    const kc = await loadKubeConfig(kubeconfig, 'in-cluster');
    return new KubeSource(new KubeClient(kc), nodeName, logger, metrics);
  }

  start(): void {
    void this.nodes.start();
    void this.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodes.stop(), this.pods.stop()]);
  }

  nodeList(): NodeObject[] {
    return this.nodes.cache.list();
  }

  /** Addresses of the non-hostNetwork pods on this node. */
  podIps(): Set<string> {
    const ips = new Set<string>();
    for (const pod of this.pods.cache.list()) {
      if (pod.spec?.hostNetwork) continue;
      for (const { ip } of pod.status?.podIPs ?? []) ips.add(ip);
      if (pod.status?.podIP) ips.add(pod.status.podIP);
    }
    return ips;
  }

  async annotateNode(name: string, annotations: Record<string, string>): Promise<void> {
    await patchAnnotations(this.client, { version: 'v1', plural: 'nodes' }, name, annotations);
  }
}
