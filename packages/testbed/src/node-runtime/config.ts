import { readFile } from 'node:fs/promises';
import type { CniMode } from '../options.js';

/** What the testbed tells a node runtime (written to `<nodeDir>/config.json`). */
export interface NodeRuntimeConfig {
  nodeName: string;
  testbed: string;
  internalIP: string;
  /** Prefix of every namespace of this testbed; pod namespaces are `<prefix>pod-<uid>`. */
  netnsPrefix: string;
  /** The node's own namespace (hostNetwork pods run here). */
  netns: string;
  /** The lab namespace: the node adds its podCIDR route there, like a router on the underlay. */
  labNetns: string;
  /** The node's client-certificate kubeconfig (lab address). */
  kubeconfig: string;
  /** The apiserver as pods reach it (the underlay address) and the CA they trust. */
  apiserverHost: string;
  apiserverPort: number;
  caFile: string;
  kubernetesServiceIP: string;
  clusterDNS: string;
  clusterDomain: string;
  /** `<stateDir>/nodes/<name>`: net.d, cni-cache, ipam, pods. */
  dir: string;
  cni: CniMode;
  cniBinDirs: string[];
  /** Repository root, to find the workspace executables the Switchyard image runs. */
  repoRoot: string;
}

export async function readNodeRuntimeConfig(path: string): Promise<NodeRuntimeConfig> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<NodeRuntimeConfig>;
  for (const key of ['nodeName', 'netns', 'kubeconfig', 'dir', 'internalIP'] as const) {
    if (typeof parsed[key] !== 'string') throw new TypeError(`${path}: missing ${key}`);
  }
  return parsed as NodeRuntimeConfig;
}
