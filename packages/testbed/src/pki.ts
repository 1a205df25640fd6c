import { type CertFiles, createCa, createServiceAccountKey, issueCert } from './certs.js';
import type { ResolvedOptions } from './options.js';

export interface TestbedPki {
  ca: CertFiles;
  apiserver: CertFiles;
  admin: CertFiles;
  controllerManager: CertFiles;
  scheduler: CertFiles;
  /** One client certificate per node (CN system:node:<name>, O system:nodes: the Node authorizer). */
  nodes: Record<string, CertFiles>;
  serviceAccount: { key: string; pub: string };
}

/** Every certificate and key the control plane and the node runtimes use, in `dir`. */
export async function createPki(
  dir: string,
  opts: ResolvedOptions,
  nodeNames: readonly string[],
): Promise<TestbedPki> {
  const ca = await createCa(dir, `switchyard-testbed-${opts.name}`);
  const domain = opts.clusterDomain;
  const [apiserver, admin, controllerManager, scheduler, serviceAccount, ...nodeCerts] =
    await Promise.all([
      issueCert(dir, ca, {
        file: 'apiserver',
        commonName: 'kube-apiserver',
        // 127.0.0.1: the root-namespace relay; labIP: the underlay; the Service IP for pods.
        ips: ['127.0.0.1', opts.labIP, opts.kubernetesServiceIP],
        dnsNames: [
          'localhost',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
          `kubernetes.default.svc.${domain}`,
        ],
        usage: 'server',
      }),
      issueCert(dir, ca, {
        file: 'admin',
        commonName: 'switchyard-testbed-admin',
        organization: 'system:masters',
        usage: 'client',
      }),
      issueCert(dir, ca, {
        file: 'controller-manager',
        commonName: 'system:kube-controller-manager',
        usage: 'client',
      }),
      issueCert(dir, ca, {
        file: 'scheduler',
        commonName: 'system:kube-scheduler',
        usage: 'client',
      }),
      createServiceAccountKey(dir),
      ...nodeNames.map((node) =>
        issueCert(dir, ca, {
          file: `node-${node}`,
          commonName: `system:node:${node}`,
          organization: 'system:nodes',
          usage: 'client',
        }),
      ),
    ]);
  const nodes: Record<string, CertFiles> = {};
  nodeNames.forEach((node, i) => (nodes[node] = nodeCerts[i] as CertFiles));
  return {
    ca,
    apiserver: apiserver as CertFiles,
    admin: admin as CertFiles,
    controllerManager: controllerManager as CertFiles,
    scheduler: scheduler as CertFiles,
    nodes,
    serviceAccount: serviceAccount as { key: string; pub: string },
  };
}
