import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
} from '@kubernetes/client-node';

/** The API clients a node runtime uses, all from the node's own credentials. */
export interface NodeApi {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  version: VersionApi;
}

export function nodeApi(kubeconfigPath: string): NodeApi {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    version: kubeConfig.makeApiClient(VersionApi),
  };
}

/** Request options for a JSON merge patch (client-node sends JSON Patch otherwise). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A metav1.MicroTime string (RFC 3339 with exactly six fractional digits). */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
