import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { CertTokenCredentials } from './cert-token-credentials.js';
import { KubeConfigError } from './kube-config-error.js';
import { RefreshingFile } from './refreshing-file.js';

/** Where the kubelet mounts a pod's ServiceAccount token and the cluster's CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  /** The ServiceAccount mount; default SERVICE_ACCOUNT_DIR. */
  dir?: string;
  /** Where KUBERNETES_SERVICE_HOST/PORT are read; default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * A pod's own credentials: the apiserver at KUBERNETES_SERVICE_HOST:PORT, the ServiceAccount's
 * token (re-read when the kubelet rotates it) and `ca.crt`. Both files are read once here, so a
 * missing mount fails at start rather than at the first request. Ports 80, 8080 and 8001 mean
 * plain HTTP, as in client-node.
 */
export async function inClusterCredentials(
  options: InClusterOptions = {},
): Promise<CertTokenCredentials> {
  const dir = options.dir ?? SERVICE_ACCOUNT_DIR;
  const env = options.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeConfigError(
      'in-cluster',
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
    );
  }
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const ca = new RefreshingFile(join(dir, 'ca.crt'));
  const token = new RefreshingFile(join(dir, 'token'));
  for (const f of [ca, token]) {
    await f.read().catch((e: unknown) => {
      throw new KubeConfigError(
        'in-cluster',
        `cannot read ${f.path}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    });
  }
  return new CertTokenCredentials({
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca,
    token,
  });
}
