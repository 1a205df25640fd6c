import type { RequestOptions } from 'node:https';

/**
 * What a KubeClient needs from a kubeconfig: the server, and the TLS material and headers for
 * each request. client-node's KubeConfig satisfies it as it is; so does what `loadKubeConfig`
 * builds itself for the common cases without loading client-node.
 */
export interface KubeCredentials {
  getCurrentCluster(): { readonly server: string } | null;
  /** Sets `ca`, `cert`, `key`, `rejectUnauthorized`, headers (Authorization), maybe `agent`. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}
