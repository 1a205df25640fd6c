import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { CertFiles } from './certs.js';

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  /** Client certificate authentication... */
  client?: CertFiles;
  /** ...or a bearer token. */
  token?: string;
  user: string;
  namespace?: string;
}

/** Renders a single-context kubeconfig with the certificates embedded, so the file stands alone. */
export async function renderKubeconfig(spec: KubeconfigSpec): Promise<string> {
  const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
  const user: Record<string, string> = {};
  if (spec.client) {
    user['client-certificate-data'] = await b64(spec.client.cert);
    user['client-key-data'] = await b64(spec.client.key);
  }
  if (spec.token !== undefined) user.token = spec.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'testbed',
        cluster: { server: spec.server, 'certificate-authority-data': await b64(spec.caFile) },
      },
    ],
    users: [{ name: spec.user, user }],
    contexts: [
      {
        name: 'testbed',
        context: {
          cluster: 'testbed',
          user: spec.user,
          ...(spec.namespace ? { namespace: spec.namespace } : {}),
        },
      },
    ],
    'current-context': 'testbed',
  });
}

/** Writes the kubeconfig readable by root only (it holds a private key or token). */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  await writeFile(path, await renderKubeconfig(spec), { mode: 0o600 });
}
