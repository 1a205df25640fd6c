import { describe, expect, it } from 'vitest';
import { OverlayError } from '@switchyard/overlay';
import { LOCAL_NODE, nodes, underlay } from '../src/cluster.js';
import { formatPlan, planFor } from '../src/plan.js';

const plan = (mode: 'vxlan' | 'direct' | 'auto') =>
  planFor({ nodes, localNode: LOCAL_NODE, mode, underlay, vtepMac: '0a:00:00:00:00:0a' });

describe('the overlay plan for node-a', () => {
  it('vxlan: a device, then a route, a neighbour and an FDB entry per remote node with a VTEP MAC', () => {
    const { desired } = plan('vxlan');
    expect(desired.device).toMatchObject({
      name: 'switchyard.1',
      vni: 1,
      port: 8472,
      local: '192.168.50.2',
      mtu: 1450,
      addresses: ['10.244.1.0/32'],
    });
    expect(desired.routes).toEqual([
      { dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'switchyard.1', onlink: true },
      { dst: '10.244.3.0/24', gateway: '10.244.3.0', dev: 'switchyard.1', onlink: true },
    ]);
    expect(desired.fdb.map((f) => `${f.mac} ${f.dst}`)).toEqual([
      '0a:00:00:00:00:0b 192.168.50.3',
      '0a:00:00:00:00:0c 172.30.9.4',
    ]);
    expect(desired.skipped).toEqual([
      { node: 'node-d', reason: expect.stringMatching(/VTEP MAC/) },
    ]);
  });

  it('direct: next hops on the shared subnet only, no device', () => {
    const { desired } = plan('direct');
    expect(desired.device).toBeUndefined();
    expect(desired.routes.map((r) => `${r.dst} via ${r.gateway}`)).toEqual([
      '10.244.2.0/24 via 192.168.50.3',
      '10.244.4.0/24 via 192.168.50.5',
    ]);
    expect(desired.skipped.map((s) => s.node)).toEqual(['node-c']);
  });

  it('auto: direct where the subnet is shared, VXLAN for the rest', () => {
    const { desired } = plan('auto');
    expect(desired.peers.map((p) => `${p.node}:${p.via}`).sort()).toEqual([
      'node-b:direct',
      'node-c:vxlan',
      'node-d:direct',
    ]);
    expect(desired.fdb.map((f) => f.dst)).toEqual(['172.30.9.4']);
  });

  it('prints the plan as ip/bridge commands', () => {
    expect(formatPlan(plan('direct'))).toBe(
      [
        'ip route replace 10.244.2.0/24 via 192.168.50.3 proto 77',
        'ip route replace 10.244.4.0/24 via 192.168.50.5 proto 77',
        '# skipped node-c: 10.244.3.0/24: no IPv4 node address on the local subnet for a direct route',
        '',
      ].join('\n'),
    );
  });

  it('rejects a bad mode or a local node that is not in the list with an OverlayError', () => {
    expect(() =>
      planFor({
        nodes,
        localNode: LOCAL_NODE,
        mode: 'gre' as 'vxlan',
        underlay,
        vtepMac: '0a:00:00:00:00:0a',
      }),
    ).toThrow(OverlayError);
    expect(() =>
      planFor({
        nodes,
        localNode: 'node-z',
        mode: 'vxlan',
        underlay,
        vtepMac: '0a:00:00:00:00:0a',
      }),
    ).toThrow(OverlayError);
  });
});
