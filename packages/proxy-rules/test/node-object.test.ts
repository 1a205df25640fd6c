import { describe, expect, it } from 'vitest';
import { NodeNotReadyError, nodeInfo, sameNodeInfo } from '../src/node-object.js';

const node = {
  metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
  spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'] },
  status: {
    addresses: [
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'ExternalIP', address: '203.0.113.7' },
      { type: 'InternalIP', address: 'fc00::2' },
      { type: 'Hostname', address: 'node-1' },
      { type: 'InternalIP', address: '172.18.0.2' },
    ],
  },
};

describe('nodeInfo', () => {
  it('takes IP addresses, the zone and the configured cluster CIDRs', () => {
    expect(nodeInfo(node, ['10.244.0.0/16'], ['172.18.0.2'])).toEqual({
      name: 'node-1',
      zone: 'zone-a',
      addresses: ['172.18.0.2', '203.0.113.7', 'fc00::2'],
      clusterCIDRs: ['10.244.0.0/16'],
      nodePortAddresses: ['172.18.0.2'],
    });
  });

  it("falls back to the node's own pod CIDRs (NodeCIDR mode)", () => {
    expect(nodeInfo(node, [], []).clusterCIDRs).toEqual(['10.244.1.0/24', 'fd00:1::/64']);
    const single = { ...node, spec: { podCIDR: '10.244.9.0/24' } };
    expect(nodeInfo(single, [], []).clusterCIDRs).toEqual(['10.244.9.0/24']);
  });

  it('refuses a node without pod CIDRs when none are configured', () => {
    expect(() => nodeInfo({ metadata: { name: 'n' } }, [], [])).toThrow(NodeNotReadyError);
  });

  it('compares descriptions', () => {
    const a = nodeInfo(node, [], []);
    expect(sameNodeInfo(a, nodeInfo(node, [], []))).toBe(true);
    expect(sameNodeInfo(undefined, a)).toBe(false);
    const moved = { ...node, metadata: { name: 'node-1', labels: {} } };
    expect(sameNodeInfo(a, nodeInfo(moved, [], []))).toBe(false);
  });
});
