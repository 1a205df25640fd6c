import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Where credentials come from when no kubeconfig file is named: `default` is client-node's
 * search ($KUBECONFIG, ~/.kube/config, then the pod's ServiceAccount), `in-cluster` the pod's
 * ServiceAccount only (a node component that must never pick up an admin's file by accident).
 */
export type KubeConfigFallback = 'default' | 'in-cluster';

/**
 * The kubeconfig an app's `--kubeconfig` names, else `fallback`. client-node is loaded here, on
 * first use: it is large, and `--help` or a flag error should not wait for it.
 */
export async function loadKubeConfig(
  path: string | undefined,
  fallback: KubeConfigFallback,
): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (fallback === 'default') kc.loadFromDefault();
  else kc.loadFromCluster();
  return kc;
}
