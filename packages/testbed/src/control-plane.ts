import type { ControlPlaneBinaries } from './binaries.js';
import { APISERVER_PORT, type TestbedLayout } from './layout.js';
import type { ResolvedOptions } from './options.js';
import type { TestbedPki } from './pki.js';

/** Kubeconfig files of the control-plane clients (lab addresses). */
export interface ControlPlaneKubeconfigs {
  controllerManager: string;
  scheduler: string;
}

/**
 * The controllers the testbed runs: networking ones (EndpointSlices, endpoints, mirroring, node
 * IPAM, node lifecycle), lifecycle (garbage collector, namespaces, pod GC), service accounts and
 * their root CA ConfigMap, and the workload controllers suites deploy through.
 */
export const CONTROLLERS = [
  'endpointslice-controller',
  'endpoints-controller',
  'endpointslice-mirroring-controller',
  'node-ipam-controller',
  'node-lifecycle-controller',
  'taint-eviction-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'pod-garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'service-cidr-controller',
  'deployment-controller',
  'replicaset-controller',
  'daemonset-controller',
  'statefulset-controller',
  'job-controller',
] as const;

const ETCD_CLIENT = 'http://127.0.0.1:2379';
const ETCD_PEER = 'http://127.0.0.1:2380';

/** etcd on the lab's loopback: only the apiserver beside it can reach it. */
export function etcdArgv(bins: ControlPlaneBinaries, layout: TestbedLayout): string[] {
  return [
    bins.etcd,
    '--name=testbed',
    `--data-dir=${layout.etcdDataDir}`,
    `--listen-client-urls=${ETCD_CLIENT}`,
    `--advertise-client-urls=${ETCD_CLIENT}`,
    `--listen-peer-urls=${ETCD_PEER}`,
    `--initial-advertise-peer-urls=${ETCD_PEER}`,
    `--initial-cluster=testbed=${ETCD_PEER}`,
    // The data dir is on tmpfs and dies with the testbed; fsync would only cost time.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export function apiserverArgv(
  bins: ControlPlaneBinaries,
  opts: ResolvedOptions,
  pki: TestbedPki,
): string[] {
  return [
    bins.kubeApiserver,
    `--etcd-servers=${ETCD_CLIENT}`,
    // Explicit: the default (0.0.0.0 plus a default-route lookup) fails in a namespace without one.
    `--bind-address=${opts.labIP}`,
    `--advertise-address=${opts.labIP}`,
    `--secure-port=${APISERVER_PORT}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-cluster-ip-range=${opts.serviceCidr}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-issuer=https://kubernetes.default.svc.${opts.clusterDomain}`,
    `--service-account-key-file=${pki.serviceAccount.pub}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    '--allow-privileged=true',
    '--profiling=false',
    // Flow control only matters under contention from many clients; it costs CPU here.
    '--enable-priority-and-fairness=false',
  ];
}

export function controllerManagerArgv(
  bins: ControlPlaneBinaries,
  opts: ResolvedOptions,
  pki: TestbedPki,
  kubeconfigs: ControlPlaneKubeconfigs,
): string[] {
  return [
    bins.kubeControllerManager,
    `--kubeconfig=${kubeconfigs.controllerManager}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--controllers=${CONTROLLERS.join(',')}`,
    '--allocate-node-cidrs=true',
    `--cluster-cidr=${opts.clusterCidr}`,
    '--node-cidr-mask-size=24',
    `--service-cluster-ip-range=${opts.serviceCidr}`,
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--root-ca-file=${pki.ca.cert}`,
    // Each controller acts as its own ServiceAccount, under the stock RBAC roles, as in kubeadm.
    '--use-service-account-credentials=true',
    '--node-monitor-period=2s',
  ];
}

export function schedulerArgv(
  bins: ControlPlaneBinaries,
  kubeconfigs: ControlPlaneKubeconfigs,
): string[] {
  return [
    bins.kubeScheduler,
    `--kubeconfig=${kubeconfigs.scheduler}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ];
}
