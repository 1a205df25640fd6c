/**
 * Names and paths of everything a testbed makes. Every network namespace starts with
 * `syt-<name>-`, so `down` and the crash sweep find all of them (pods included) by prefix.
 */
export interface TestbedLayout {
  name: string;
  stateDir: string;
  netnsPrefix: string;
  labNetns: string;
  stateFile: string;
  pkiDir: string;
  logDir: string;
  etcdDataDir: string;
  /** Admin kubeconfig for the root namespace (server https://127.0.0.1:<relay port>). */
  kubeconfig: string;
  /** Admin kubeconfig for the lab and node namespaces (server https://<labIP>:6443). */
  labKubeconfig: string;
  nodeNames: string[];
}

export const NETNS_PREFIX = 'syt-';
export const APISERVER_PORT = 6443;

export function testbedLayout(name: string, stateDir: string, nodes: number): TestbedLayout {
  const netnsPrefix = `${NETNS_PREFIX}${name}-`;
  return {
    name,
    stateDir,
    netnsPrefix,
    labNetns: `${netnsPrefix}lab`,
    stateFile: `${stateDir}/state.json`,
    pkiDir: `${stateDir}/pki`,
    logDir: `${stateDir}/logs`,
    etcdDataDir: `${stateDir}/etcd`,
    kubeconfig: `${stateDir}/kubeconfig`,
    labKubeconfig: `${stateDir}/lab.kubeconfig`,
    nodeNames: Array.from({ length: nodes }, (_, i) => `node-${i + 1}`),
  };
}

export function nodeNetns(netnsPrefix: string, node: string): string {
  return `${netnsPrefix}${node}`;
}

/** A pod's namespace; the UID keeps it unique and stable across node-runtime restarts. */
export function podNetns(netnsPrefix: string, podUid: string): string {
  return `${netnsPrefix}pod-${podUid}`;
}

/** Per-node directory: kubeconfig, runtime config, net.d, CNI cache, host-local data, pods. */
export function nodeDir(stateDir: string, node: string): string {
  return `${stateDir}/nodes/${node}`;
}

/**
 * `ip netns exec NS` bind-mounts the files in `/etc/netns/NS/` over `/etc/`, so a pod's
 * resolv.conf and hosts live there and every process started in the pod sees them.
 */
export function netnsEtcDir(netns: string): string {
  return `/etc/netns/${netns}`;
}
