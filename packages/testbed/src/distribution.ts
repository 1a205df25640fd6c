import { existsSync } from 'node:fs';
import { run } from '@switchyard/linux';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './binaries.js';
import { DistributionManifestError, TestbedStateError } from './errors.js';
import { workspaceBins } from './node-runtime/images.js';

/** The distribution's parts besides the pod network (which the `cni` option governs). */
export type Component = 'proxy' | 'dns' | 'ingress';
export const COMPONENTS: readonly Component[] = ['proxy', 'dns', 'ingress'];

/** A part of the distribution: the value of its objects' `app.kubernetes.io/component` label. */
export type DistributionPart = Component | 'cni';

const DEPLOY = `${REPO_ROOT}/deploy`;
/** The kustomize overlay the testbed installs from: the distribution with testbed node paths. */
export const TESTBED_OVERLAY = `${DEPLOY}/overlays/testbed`;
/** The minimal Gateway API CRDs (generated), installed before the ingress part. */
export const GATEWAY_API_CRDS = `${DEPLOY}/gateway-api-crds.yaml`;
/**
 * kubeadm's coredns ConfigMap: kind has it from cluster bootstrap, so the distribution leaves it
 * out; the testbed plays kubeadm and creates it before the dns part.
 */
export const COREDNS_CONFIGMAP = `${REPO_ROOT}/apps/switchyard-dns/manifests/coredns-configmap.yaml`;

/** The executable (package `bin`) each component runs in the switchyard/switchyard image. */
const EXECUTABLES: Record<Component, string> = {
  proxy: 'switchyard-proxy',
  dns: 'switchyard-dns',
  ingress: 'switchyard-ingress',
};

const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** A Kubernetes object as kustomize renders it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** What differs between clusters, set in the rendered objects as a user edits them for theirs. */
export interface ClusterValues {
  clusterCidr: string;
  /** The kube-dns Service's ClusterIP (the kubelet's clusterDNS). */
  clusterDNS: string;
  nodes: number;
}

/**
 * Refuses early (before anything is made) when a component's executable was not built (the cni
 * part has its own check: it needs the shim too).
 */
export function checkComponentsBuilt(testbed: string, components: readonly Component[]): void {
  const bins = workspaceBins(REPO_ROOT);
  const missing = components.filter((c) => {
    const script = bins.get(EXECUTABLES[c]);
    return !script || !existsSync(script);
  });
  if (missing.length) {
    throw new TestbedStateError(
      testbed,
      `components ${missing.join(', ')} need their apps built: ` +
        `npx tsc -b ${missing.map((c) => `apps/switchyard-${c}/tsconfig.lib.json`).join(' ')}`,
    );
  }
}

/**
 * `kubectl kustomize` of the testbed overlay, split by part, with this cluster's values: the
 * agent's and the proxy's cluster CIDR, the kube-dns ClusterIP, and no more ingress replicas than
 * nodes (its pods hold hostPorts 80/443, one per node).
 */
export async function renderTestbedDistribution(
  kubectl: string,
  values: ClusterValues,
  overlay = TESTBED_OVERLAY,
): Promise<Map<DistributionPart, KubeObject[]>> {
  const { stdout } = await run([kubectl, 'kustomize', overlay]);
  const parts = new Map<DistributionPart, KubeObject[]>();
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length) throw new DistributionManifestError(overlay, doc.errors[0]!.message);
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    const part = obj.metadata.labels?.[COMPONENT_LABEL];
    if (part !== 'cni' && !COMPONENTS.includes(part as Component)) {
      throw new DistributionManifestError(
        overlay,
        `${obj.kind} ${obj.metadata.name} has no ${COMPONENT_LABEL} label naming a part`,
      );
    }
    parts.set(part as DistributionPart, [...(parts.get(part as DistributionPart) ?? []), obj]);
  }
  setClusterValues(parts, values, overlay);
  return parts;
}

interface Container {
  env?: { name: string; value?: string }[];
}
interface PodOwner {
  spec: { replicas?: number; template: { spec: { containers: Container[] } } };
}

function setClusterValues(
  parts: Map<DistributionPart, KubeObject[]>,
  values: ClusterValues,
  overlay: string,
): void {
  const find = <T>(part: DistributionPart, kind: string, name: string): T => {
    const obj = parts.get(part)?.find((o) => o.kind === kind && o.metadata.name === name);
    if (!obj)
      throw new DistributionManifestError(overlay, `no ${kind} ${name} in the ${part} part`);
    return obj as unknown as T;
  };
  find<{ data: Record<string, string> }>('cni', 'ConfigMap', 'switchyard-agent').data[
    'cluster-cidr'
  ] = values.clusterCidr;
  const proxy = find<PodOwner>('proxy', 'DaemonSet', 'switchyard-proxy');
  const cidr = proxy.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'CLUSTER_CIDR');
  if (!cidr)
    throw new DistributionManifestError(overlay, 'switchyard-proxy has no CLUSTER_CIDR env');
  cidr.value = values.clusterCidr;
  find<{ spec: { clusterIP: string } }>('dns', 'Service', 'kube-dns').spec.clusterIP =
    values.clusterDNS;
  const ingress = find<PodOwner>('ingress', 'Deployment', 'switchyard-ingress');
  ingress.spec.replicas = Math.min(ingress.spec.replicas ?? 1, values.nodes);
}

/** Objects as one `kubectl apply -f -` input (a List keeps them in the overlay's order). */
export function applyInput(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}
