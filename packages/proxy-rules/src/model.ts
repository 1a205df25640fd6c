/**
 * The input model: the fields of the Kubernetes API objects a service proxy reads, shaped like the
 * objects themselves (so `kubectl get -o json` output or an informer's cache fits without mapping),
 * but with no Kubernetes client dependency. Everything not listed here is ignored.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ServiceIPFamily = 'IPv4' | 'IPv6';

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServicePortSpec {
  /** Required when the service has more than one port; matches EndpointSlice port names. */
  name?: string;
  protocol?: Protocol;
  port: number;
  nodePort?: number;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  /** `Proxy` means the load balancer rewrites the destination itself: not captured here. */
  ipMode?: 'VIP' | 'Proxy';
}

export interface Service {
  metadata: ObjectMeta;
  spec: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    /** `None` (or empty) marks a headless service, which is not proxied. */
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePortSpec[];
    externalIPs?: string[];
    loadBalancerSourceRanges?: string[];
    externalTrafficPolicy?: 'Cluster' | 'Local';
    internalTrafficPolicy?: 'Cluster' | 'Local';
    healthCheckNodePort?: number;
    sessionAffinity?: 'None' | 'ClientIP';
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    /**
     * Informational: the EndpointSlice controller turns `PreferClose`/`PreferSameZone` into zone
     * hints and `PreferSameNode` into node hints; the proxy acts on the hints, as kube-proxy does.
     */
    trafficDistribution?: string;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions {
  /** Missing means ready (the API's rule for unknown readiness). */
  ready?: boolean | null;
  /** Missing means the same as `ready`. */
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface Endpoint {
  /** Only the first address is used, as kube-proxy does. */
  addresses: string[];
  conditions?: EndpointConditions;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
}

export interface EndpointPort {
  name?: string;
  protocol?: Protocol;
  port?: number;
}

export interface EndpointSlice {
  /** `labels["kubernetes.io/service-name"]` names the owning service. */
  metadata: ObjectMeta;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports?: EndpointPort[] | null;
}

/** The node this proxy runs on. */
export interface NodeInfo {
  name: string;
  /** `topology.kubernetes.io/zone` of the node, for topology-aware routing. */
  zone?: string;
  /** The node's own addresses (both families on a dual-stack node). */
  addresses: string[];
  /** Pod CIDRs of the whole cluster: traffic from outside them to a service is masqueraded. */
  clusterCIDRs: string[];
  /**
   * Addresses that accept NodePort traffic (`--nodeport-addresses` as plain IPs). Missing or empty:
   * every local address except loopback, as kube-proxy's default.
   */
  nodePortAddresses?: string[];
}

export interface ProxyModel {
  node: NodeInfo;
  services: Service[];
  endpointSlices: EndpointSlice[];
}

/** Label on a Service naming the proxy that handles it; any value means "not us". */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
/** Label the control plane puts on a headless service's Endpoints/EndpointSlices. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Default ClientIP affinity timeout (3 hours), from the Service API. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
