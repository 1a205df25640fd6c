import { ZoneInputError } from './errors.js';
import { canonicalIp } from './ip.js';
import { ipToDashedLabel } from './names.js';

/*
 * The fields of Kubernetes API objects the zone reads, shaped like the API (and like
 * @kubernetes/client-node's V1Service, V1EndpointSlice, V1Pod, V1Namespace, which are assignable
 * to these), so an app hands informer objects over unchanged and this package needs no client.
 */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface ServicePortLike {
  name?: string;
  port: number;
  protocol?: string;
}

export interface ServiceLike {
  metadata?: ObjectMetaLike;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: ServicePortLike[];
    publishNotReadyAddresses?: boolean;
  };
}

export interface EndpointLike {
  addresses: string[];
  conditions?: { ready?: boolean | null };
  hostname?: string;
}

export interface EndpointSliceLike {
  metadata?: ObjectMetaLike;
  addressType: string;
  endpoints: EndpointLike[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface PodLike {
  metadata?: ObjectMetaLike;
  status?: { podIP?: string; podIPs?: { ip?: string }[] };
}

export interface NamespaceLike {
  metadata?: ObjectMetaLike;
}

/** The label the EndpointSlice controller sets to the owning Service's name. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface PortEntry {
  /** Lowercase port name; "" for an unnamed port. */
  name: string;
  port: number;
  /** Lowercase protocol: tcp, udp or sctp. */
  protocol: string;
}

export type ServiceEntry = {
  namespace: string;
  name: string;
  ports: PortEntry[];
  publishNotReadyAddresses: boolean;
} & (
  | { kind: 'clusterIP'; clusterIPs: string[] }
  | { kind: 'headless' }
  | { kind: 'externalName'; externalName: string }
);

export interface EndpointEntry {
  /** Lowercase label this endpoint answers under: its hostname, else its dashed address. */
  hostname: string;
  ip: string;
  ready: boolean;
}

export interface SliceEntry {
  namespace: string;
  name: string;
  service: string;
  endpoints: EndpointEntry[];
  ports: PortEntry[];
}

/** Lowercase namespace and name of an object, or a ZoneInputError naming what is missing. */
export function objectKey(kind: string, meta: ObjectMetaLike | undefined): [string, string] {
  if (!meta?.name) throw new ZoneInputError(kind, 'metadata.name', 'missing');
  if (!meta.namespace) throw new ZoneInputError(kind, 'metadata.namespace', 'missing');
  return [meta.namespace.toLowerCase(), meta.name.toLowerCase()];
}

function port(p: { name?: string; port?: number; protocol?: string }): PortEntry | undefined {
  if (p.port === undefined || !Number.isInteger(p.port) || p.port < 0 || p.port > 65535)
    return undefined;
  return {
    name: (p.name ?? '').toLowerCase(),
    port: p.port,
    protocol: (p.protocol ?? 'TCP').toLowerCase(),
  };
}

export function serviceEntry(svc: ServiceLike): ServiceEntry {
  const [namespace, name] = objectKey('Service', svc.metadata);
  const spec = svc.spec ?? {};
  const ports = (spec.ports ?? []).map(port).filter((p) => p !== undefined);
  const base = {
    namespace,
    name,
    ports,
    publishNotReadyAddresses: !!spec.publishNotReadyAddresses,
  };
  if (spec.type === 'ExternalName') {
    const target = (spec.externalName ?? '').toLowerCase().replace(/\.$/, '');
    if (!target) throw new ZoneInputError('Service', 'spec.externalName', 'missing');
    return { ...base, kind: 'externalName', externalName: target };
  }
  const raw = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  if (raw[0] === 'None') return { ...base, kind: 'headless' };
  const clusterIPs: string[] = [];
  for (const ip of raw) {
    const c = canonicalIp(ip);
    if (!c) throw new ZoneInputError('Service', 'spec.clusterIPs', `not an address: ${ip}`);
    clusterIPs.push(c);
  }
  return { ...base, kind: 'clusterIP', clusterIPs };
}

/**
 * The zone's view of a slice, or undefined for a slice no Service owns (no service-name label:
 * slices other controllers manage), which publishes nothing.
 */
export function sliceEntry(slice: EndpointSliceLike): SliceEntry | undefined {
  const [namespace, name] = objectKey('EndpointSlice', slice.metadata);
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL]?.toLowerCase();
  if (!service) return undefined;
  const endpoints: EndpointEntry[] = [];
  // FQDN slices carry names, not addresses; DNS publishes only IPv4/IPv6 endpoints.
  if (slice.addressType === 'IPv4' || slice.addressType === 'IPv6') {
    for (const ep of slice.endpoints ?? []) {
      const ready = ep.conditions?.ready !== false;
      for (const address of ep.addresses ?? []) {
        const ip = canonicalIp(address);
        if (!ip) continue; // the API server validates addresses; a bad one is simply unusable
        const hostname = (ep.hostname || ipToDashedLabel(ip)).toLowerCase();
        endpoints.push({ hostname, ip, ready });
      }
    }
  }
  const ports = (slice.ports ?? []).map(port).filter((p) => p !== undefined);
  return { namespace, name, service, endpoints, ports };
}

/** The canonical addresses of a pod (podIPs, else podIP). */
export function podIps(pod: PodLike): string[] {
  const raw = pod.status?.podIPs?.map((p) => p.ip ?? '') ?? [];
  if (raw.length === 0 && pod.status?.podIP) raw.push(pod.status.podIP);
  return raw.map(canonicalIp).filter((ip) => ip !== undefined);
}
