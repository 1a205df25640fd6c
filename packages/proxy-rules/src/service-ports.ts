import { type Cidr, type Family, canonicalIp, ipFamily, parseCidr } from './ip.js';
import {
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
  type EndpointSlice,
  HEADLESS_LABEL,
  type ProxyModel,
  SERVICE_NAME_LABEL,
  SERVICE_PROXY_NAME_LABEL,
  type Service,
  type ServicePortSpec,
} from './model.js';
import type { NodeContext } from './node.js';

export type L4Proto = 'tcp' | 'udp' | 'sctp';

/** One endpoint of one service port, with its conditions resolved to plain booleans. */
export interface ResolvedEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node. */
  local: boolean;
  /**
   * `nodeName` names another node: a pod there never reaches a service through this node's
   * rules, so it cannot hairpin here (unknown nodes count as possibly this one).
   */
  onOtherNode: boolean;
  zoneHints: string[];
  nodeHints: string[];
}

/** One port of one service in one IP family: the unit kube-proxy calls a ServicePort. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  portName: string;
  protocol: L4Proto;
  family: Family;
  clusterIP: string;
  port: number;
  nodePort: number | undefined;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** Only meaningful with loadBalancerIPs. */
  sourceRanges: Cidr[];
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** ClientIP affinity timeout in seconds; undefined without affinity. */
  affinityTimeout: number | undefined;
  healthCheckNodePort: number | undefined;
  endpoints: ResolvedEndpoint[];
}

/** An object left out of the rules, and why. */
export interface Skipped {
  kind: 'Service' | 'EndpointSlice';
  namespace: string;
  name: string;
  reason: string;
}

/** `namespace/name/protocol/portName`, the identity chain names are derived from. */
export function servicePortKey(
  sp: Pick<ServicePortInfo, 'namespace' | 'name' | 'protocol' | 'portName'>,
): string {
  return `${sp.namespace}/${sp.name}/${sp.protocol}/${sp.portName}`;
}

/** True when NodePort, ExternalIP or LoadBalancer traffic reaches this service port. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== undefined || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

const PROTOCOLS: Record<string, L4Proto> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

class SkipError extends Error {}

/** Flattens the model into per-family service ports, leaving out what a proxy must not handle. */
export function resolveServicePorts(
  model: ProxyModel,
  node: NodeContext,
): { ports: ServicePortInfo[]; skipped: Skipped[] } {
  const skipped: Skipped[] = [];
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of model.endpointSlices) {
    const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!owner || slice.metadata.labels?.[HEADLESS_LABEL] !== undefined) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const key = `${slice.metadata.namespace}/${owner}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const ports: ServicePortInfo[] = [];
  for (const svc of model.services) {
    const meta = svc.metadata;
    try {
      if (!isProxied(svc)) continue;
      const slices = slicesByService.get(`${meta.namespace}/${meta.name}`) ?? [];
      ports.push(...servicePorts(svc, slices, node));
    } catch (e) {
      if (!(e instanceof SkipError)) throw e;
      skipped.push({
        kind: 'Service',
        namespace: meta?.namespace,
        name: meta?.name,
        reason: e.message,
      });
    }
  }
  return { ports, skipped };
}

function isProxied(svc: Service): boolean {
  if (!svc.metadata?.name || !svc.metadata.namespace)
    throw new SkipError('metadata.name and namespace are required');
  const labels = svc.metadata.labels ?? {};
  if (labels[SERVICE_PROXY_NAME_LABEL] !== undefined || labels[HEADLESS_LABEL] !== undefined)
    return false;
  if (svc.spec?.type === 'ExternalName') return false;
  const ip = svc.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

function servicePorts(svc: Service, slices: EndpointSlice[], node: NodeContext): ServicePortInfo[] {
  const spec = svc.spec;
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP!];
  const external = (spec.externalIPs ?? []).map((ip) => checkedIp(ip, 'spec.externalIPs'));
  const lb = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((i) => i.ip && i.ipMode !== 'Proxy')
    .map((i) => checkedIp(i.ip!, 'status.loadBalancer.ingress'));
  const ranges = (spec.loadBalancerSourceRanges ?? []).map((text) => {
    const cidr = parseCidr(text.trim());
    if (!cidr)
      throw new SkipError(`spec.loadBalancerSourceRanges: invalid CIDR ${JSON.stringify(text)}`);
    return cidr;
  });
  const nodePortType = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinity = spec.sessionAffinity === 'ClientIP';
  const timeout =
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
  if (affinity && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 86400)) {
    throw new SkipError(
      `sessionAffinityConfig.clientIP.timeoutSeconds: must be 1..86400, got ${timeout}`,
    );
  }
  const out: ServicePortInfo[] = [];
  for (const rawIp of clusterIPs) {
    const clusterIP = checkedIp(rawIp, 'spec.clusterIPs');
    const family = ipFamily(clusterIP)!;
    const familySlices = slices.filter(
      (s) => (s.addressType === 'IPv4' ? 'ipv4' : 'ipv6') === family,
    );
    for (const port of spec.ports ?? []) {
      const protocol = checkedPort(port);
      const lbIPs = spec.type === 'LoadBalancer' ? lb.filter((ip) => ipFamily(ip) === family) : [];
      out.push({
        namespace: svc.metadata.namespace,
        name: svc.metadata.name,
        portName: port.name ?? '',
        protocol,
        family,
        clusterIP,
        port: port.port,
        nodePort: nodePortType && port.nodePort ? port.nodePort : undefined,
        externalIPs: external.filter((ip) => ipFamily(ip) === family),
        loadBalancerIPs: lbIPs,
        sourceRanges: lbIPs.length ? ranges.filter((r) => r.family === family) : [],
        externalPolicyLocal: nodePortType && spec.externalTrafficPolicy === 'Local',
        internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
        affinityTimeout: affinity ? timeout : undefined,
        healthCheckNodePort:
          spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local'
            ? spec.healthCheckNodePort
            : undefined,
        endpoints: endpointsFor(port, protocol, familySlices, node),
      });
    }
  }
  return out;
}

function checkedIp(ip: string, field: string): string {
  if (!ipFamily(ip)) throw new SkipError(`${field}: invalid IP address ${JSON.stringify(ip)}`);
  return canonicalIp(ip);
}

function checkedPort(port: ServicePortSpec): L4Proto {
  const protocol = PROTOCOLS[port.protocol ?? 'TCP'];
  if (!protocol)
    throw new SkipError(`spec.ports: unknown protocol ${JSON.stringify(port.protocol)}`);
  if (!validPort(port.port))
    throw new SkipError(`spec.ports: invalid port ${JSON.stringify(port.port)}`);
  if (port.nodePort !== undefined && port.nodePort !== 0 && !validPort(port.nodePort)) {
    throw new SkipError(`spec.ports: invalid nodePort ${JSON.stringify(port.nodePort)}`);
  }
  return protocol;
}

function validPort(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
}

// Endpoints of every slice whose port matches by name and protocol; duplicates (the same
// address in two slices during a slice handover) count once.
function endpointsFor(
  port: ServicePortSpec,
  protocol: L4Proto,
  slices: EndpointSlice[],
  node: NodeContext,
): ResolvedEndpoint[] {
  const seen = new Map<string, ResolvedEndpoint>();
  for (const slice of slices) {
    const match = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === (port.name ?? '') && PROTOCOLS[p.protocol ?? 'TCP'] === protocol,
    );
    if (!match || !validPort(match.port)) continue;
    for (const ep of slice.endpoints ?? []) {
      const raw = ep.addresses?.[0];
      if (!raw || !ipFamily(raw)) continue;
      const ip = canonicalIp(raw);
      const key = `${ip}/${match.port}`;
      if (seen.has(key)) continue;
      const ready = ep.conditions?.ready ?? true;
      seen.set(key, {
        ip,
        port: match.port,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
        local: ep.nodeName === node.name,
        onOtherNode: ep.nodeName !== undefined && ep.nodeName !== node.name,
        zoneHints: (ep.hints?.forZones ?? []).map((z) => z.name),
        nodeHints: (ep.hints?.forNodes ?? []).map((n) => n.name),
      });
    }
  }
  return [...seen.values()];
}
