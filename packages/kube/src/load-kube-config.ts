import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { inClusterCredentials, SERVICE_ACCOUNT_DIR } from './in-cluster.js';
import { KubeConfigError } from './kube-config-error.js';
import type { KubeCredentials } from './kube-credentials.js';

/**
 * Where credentials come from when no kubeconfig file is named: `default` is client-node's
 * search ($KUBECONFIG, ~/.kube/config, then the pod's ServiceAccount), `in-cluster` the pod's
 * ServiceAccount only (a node component that must never pick up an admin's file by accident).
 */
export type KubeConfigFallback = 'default' | 'in-cluster';

/**
 * The credentials for the kubeconfig an app's `--kubeconfig` names, else `fallback`. A pod's
 * ServiceAccount and a kubeconfig with certificates or a token are read here; anything else
 * (exec plugins, auth providers, proxies, several files in $KUBECONFIG, ...) is handed to
 * client-node's KubeConfig, imported only then: it costs about half a second of CPU to load.
 * Throws KubeConfigError when a file cannot be read or parsed, or `in-cluster` finds no pod
 * environment or ServiceAccount mount.
 */
export async function loadKubeConfig(
  path: string | undefined,
  fallback: KubeConfigFallback,
): Promise<KubeCredentials> {
  if (path) return fromFile(path);
  if (fallback === 'in-cluster') return inClusterCredentials();
  // client-node's loadFromDefault, in its order; Windows' home lookup is left to it.
  if (process.platform === 'win32') return clientNode('default', (kc) => kc.loadFromDefault());
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length === 1) return fromFile(files[0]!);
  if (files.length > 1) return clientNode('$KUBECONFIG', (kc) => kc.loadFromDefault());
  const home = process.env.HOME;
  if (home && (await exists(join(home, '.kube', 'config')))) {
    return fromFile(join(home, '.kube', 'config'));
  }
  if (await exists(join(SERVICE_ACCOUNT_DIR, 'token'))) return inClusterCredentials();
  // Nothing found: client-node's placeholder (http://localhost:8080, no user).
  return clientNode('default', (kc) => kc.loadFromDefault());
}

async function fromFile(path: string): Promise<KubeCredentials> {
  // The YAML parser is loaded on first use too: a pod's ServiceAccount and `--help` need none.
  const { readKubeconfig } = await import('./kubeconfig-file.js');
  const reading = await readKubeconfig(path);
  if (reading.kind === 'credentials') return reading.credentials;
  return clientNode(path, (kc) => kc.loadFromFile(path));
}

async function clientNode(source: string, load: (kc: KubeConfig) => void): Promise<KubeConfig> {
  const clientNodeModule = await import('@kubernetes/client-node');
  const kc = new clientNodeModule.KubeConfig();
  try {
    load(kc);
  } catch (e) {
    throw new KubeConfigError(source, e instanceof Error ? e.message : String(e), { cause: e });
  }
  return kc;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
