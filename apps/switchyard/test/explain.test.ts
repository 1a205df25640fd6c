import type { EndpointSlice, NodeObject, Service } from '@switchyard/proxy-rules';
import { describe, expect, it } from 'vitest';
import { explainServiceOnNode } from '../src/explain.js';

const node: NodeObject = {
  metadata: { name: 'node-1' },
  spec: { podCIDR: '10.244.1.0/24' },
  status: { addresses: [{ type: 'InternalIP', address: '172.31.255.11' }] },
};

function service(name: string, clusterIP: string, nodePort?: number): Service {
  return {
    metadata: { namespace: 'default', name },
    spec: {
      type: nodePort === undefined ? 'ClusterIP' : 'NodePort',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ports: [
        {
          name: 'http',
          port: 80,
          protocol: 'TCP',
          ...(nodePort ? { nodePort } : {}),
        },
      ],
    },
  } as Service;
}

const webSlice = {
  metadata: {
    namespace: 'default',
    name: 'web-abc',
    labels: { 'kubernetes.io/service-name': 'web' },
  },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: [
    { addresses: ['10.244.1.5'], conditions: { ready: true } },
    { addresses: ['10.244.2.7'], conditions: { ready: true } },
  ],
} as EndpointSlice;

const state = {
  node,
  services: [service('web', '10.96.0.20', 30080), service('empty', '10.96.0.21')],
  endpointSlices: [webSlice],
  namespace: 'default',
};

describe('switchyard explain service', () => {
  it('lists every endpoint a pod can reach through the ClusterIP and the NodePort', () => {
    const out = explainServiceOnNode({ ...state, name: 'web', from: 'pod' });
    expect(out).toContain('packet tcp 10.244.1.10 -> 10.96.0.20:80 from pod');
    expect(out).toContain('packet tcp 10.244.1.10 -> 172.31.255.11:30080 from pod');
    expect(out.match(/endpoint 10\.244\.1\.5:8080/g)).toHaveLength(2);
    expect(out.match(/endpoint 10\.244\.2\.7:8080/g)).toHaveLength(2);
    // Pod to ClusterIP keeps the client address; NodePort traffic is masqueraded.
    expect(out).toContain('endpoint 10.244.1.5:8080 (client address kept)');
    expect(out).toContain('endpoint 10.244.1.5:8080 (masqueraded)');
  });

  it('says REJECT for a service without endpoints, and honours --source', () => {
    const out = explainServiceOnNode({
      ...state,
      name: 'empty',
      from: 'outside',
      source: '198.51.100.7',
    });
    expect(out).toContain('packet tcp 198.51.100.7 -> 10.96.0.21:80 from outside');
    expect(out).toContain('REJECT');
    expect(out).not.toContain('endpoint ');
  });

  it('names a service the node does not proxy', () => {
    expect(() => explainServiceOnNode({ ...state, name: 'nope', from: 'pod' })).toThrow(
      'service default/nope is not proxied on this node',
    );
  });
});
