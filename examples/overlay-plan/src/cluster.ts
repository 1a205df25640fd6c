import type { NodeObject, Underlay } from '@switchyard/overlay';

/*
 * A made-up cluster, as the Node objects the agent's informer sees (only the fields the overlay
 * reads). node-a is the one we plan for; node-b shares its underlay subnet; node-c is on another
 * subnet (a direct route cannot reach it); node-d has not published its VTEP MAC yet.
 */
export const LOCAL_NODE = 'node-a';

export const nodes: NodeObject[] = [
  node('node-a', '10.244.1.0/24', '192.168.50.2', '0a:00:00:00:00:0a'),
  node('node-b', '10.244.2.0/24', '192.168.50.3', '0a:00:00:00:00:0b'),
  node('node-c', '10.244.3.0/24', '172.30.9.4', '0a:00:00:00:00:0c'),
  node('node-d', '10.244.4.0/24', '192.168.50.5'),
];

/** node-a's link to the others: the device holding its InternalIP. */
export const underlay: Underlay = {
  dev: 'eth0',
  ip: '192.168.50.2',
  cidrs: ['192.168.50.2/24'],
  mtu: 1500,
};

function node(name: string, podCIDR: string, ip: string, vtepMac?: string): NodeObject {
  return {
    metadata: {
      name,
      annotations: vtepMac ? { 'switchyard.dev/vtep-mac': vtepMac } : {},
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}
