import type { Endpoint, EndpointSlice, NodeInfo, ProxyModel, Service } from '../src/model.js';
import { compile } from '../src/compile.js';
import { type Outcome, type Packet, trace } from '../src/trace.js';

/** Test builders: small, explicit Kubernetes-shaped objects. */

export const NODE: NodeInfo = {
  name: 'node-a',
  zone: 'zone-a',
  addresses: ['192.168.0.10', 'fd00:192::10'],
  clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/56'],
};

export function service(
  name: string,
  spec: Service['spec'],
  extra: {
    labels?: Record<string, string>;
    lbIngress?: { ip: string; ipMode?: 'VIP' | 'Proxy' }[];
  } = {},
): Service {
  return {
    metadata: { name, namespace: 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
    ...(extra.lbIngress ? { status: { loadBalancer: { ingress: extra.lbIngress } } } : {}),
  };
}

export interface EpOptions {
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  zones?: string[];
  nodes?: string[];
}

export function ep(ip: string, o: EpOptions = {}): Endpoint {
  const conditions: Endpoint['conditions'] = {};
  if (o.ready !== undefined) conditions.ready = o.ready;
  if (o.serving !== undefined) conditions.serving = o.serving;
  if (o.terminating !== undefined) conditions.terminating = o.terminating;
  const hints: NonNullable<Endpoint['hints']> = {};
  if (o.zones) hints.forZones = o.zones.map((name) => ({ name }));
  if (o.nodes) hints.forNodes = o.nodes.map((name) => ({ name }));
  return {
    addresses: [ip],
    conditions,
    nodeName: o.node ?? 'node-b',
    ...(o.zones || o.nodes ? { hints } : {}),
  };
}

export function slice(
  svc: string,
  endpoints: Endpoint[],
  opts: { family?: 'IPv4' | 'IPv6'; port?: number; name?: string; protocol?: 'TCP' | 'UDP' } = {},
): EndpointSlice {
  return {
    metadata: {
      name: `${svc}-${opts.family ?? 'IPv4'}`,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': svc },
    },
    addressType: opts.family ?? 'IPv4',
    endpoints,
    ports: [
      { name: opts.name ?? 'http', port: opts.port ?? 8080, protocol: opts.protocol ?? 'TCP' },
    ],
  };
}

export function model(
  services: Service[],
  endpointSlices: EndpointSlice[],
  node: NodeInfo = NODE,
): ProxyModel {
  return { node, services, endpointSlices };
}

/** Traces a packet and returns its outcomes as short strings: `ip:port`, `ip:port masq`, DROP, ... */
export function outcomes(m: ProxyModel, packet: Packet): string[] {
  const { ruleset } = compile(m);
  return trace(ruleset, packet).outcomes.map(short).sort();
}

export function short(o: Outcome): string {
  switch (o.kind) {
    case 'endpoint':
      return `${o.ip.includes(':') ? `[${o.ip}]` : o.ip}:${o.port}${o.masquerade ? ' masq' : ''}`;
    case 'accept':
      return `ACCEPT${o.local ? ' local' : ''}${o.masquerade ? ' masq' : ''}`;
    case 'drop':
      return 'DROP';
    case 'reject':
      return 'REJECT';
  }
}

const packetFrom =
  (from: Packet['from']) =>
  (
    source: string,
    destination: string,
    port: number,
    protocol: Packet['protocol'] = 'tcp',
  ): Packet => ({ source, destination, port, protocol, from });
export const pod = packetFrom('pod');
export const outside = packetFrom('outside');
export const fromNode = (source: string, destination: string, port: number): Packet => ({
  source,
  destination,
  port,
  protocol: 'tcp',
  from: 'node',
});
