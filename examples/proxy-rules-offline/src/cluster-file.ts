import YAML from 'yaml';
import {
  nodeInfo,
  type EndpointSlice,
  type NodeObject,
  type ProxyModel,
  type Service,
} from '@switchyard/proxy-rules';

/** The YAML cannot be read, or it lacks what the rules need (a Node). */
export class ClusterFileError extends Error {
  override readonly name = 'ClusterFileError';
}

export interface ClusterFileOptions {
  /** Which Node the rules are for; needed only when the file holds several. */
  node?: string;
  /** The cluster's pod CIDRs (kube-proxy's --cluster-cidr); default: the node's podCIDRs. */
  clusterCidrs?: string[];
}

interface KubeObject {
  kind?: string;
  items?: unknown[];
}

/** Every object in the documents, with `kind: List` (what `kubectl get -o yaml` prints) opened. */
function objects(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  // Both the yaml 1.x and 2.x APIs have parseAllDocuments on the default export.
  for (const doc of YAML.parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error) throw new ClusterFileError(`invalid YAML: ${error.message}`);
    const value: unknown = doc.toJSON();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ClusterFileError('every YAML document must be a Kubernetes object');
    }
    const obj = value as KubeObject;
    if (obj.kind === 'List' || obj.kind?.endsWith('List'))
      out.push(...((obj.items ?? []) as KubeObject[]));
    else out.push(obj);
  }
  return out;
}

/**
 * Reads Services, EndpointSlices and Nodes from YAML into the proxy-rules model for one node.
 * Objects of other kinds are skipped, so a whole `kubectl get svc,endpointslices,nodes -o yaml`
 * fits. The objects are passed on as they are: proxy-rules reads only the fields it knows.
 */
export function modelFromYaml(text: string, options: ClusterFileOptions = {}): ProxyModel {
  const all = objects(text);
  const nodes = all.filter((o) => o.kind === 'Node') as NodeObject[];
  const node = options.node
    ? nodes.find((n) => n.metadata?.name === options.node)
    : nodes.length === 1
      ? nodes[0]
      : undefined;
  if (!node) {
    throw new ClusterFileError(
      options.node
        ? `no Node named ${options.node} in the file`
        : `the file holds ${nodes.length} Nodes: name the one to generate rules for`,
    );
  }
  return {
    node: nodeInfo(node, options.clusterCidrs ?? [], []),
    services: all.filter((o) => o.kind === 'Service') as unknown as Service[],
    endpointSlices: all.filter((o) => o.kind === 'EndpointSlice') as unknown as EndpointSlice[],
  };
}
