import { describe, expect, it } from 'vitest';
import {
  OverlayError,
  desiredState,
  overlayConfig,
  type OverlayNode,
  type Underlay,
} from '../src/index.js';

const underlay: Underlay = { ip: '172.18.0.2', cidrs: ['172.18.0.0/16'], dev: 'eth0', mtu: 1500 };
const MAC_A = '0a:00:00:00:00:0a';
const MAC_B = '0a:00:00:00:00:0b';
const MAC_C = '0a:00:00:00:00:0c';
const nodes: OverlayNode[] = [
  { name: 'a', podCIDRs: ['10.244.0.0/24'], internalIPs: ['172.18.0.2'], vtepMac: MAC_A },
  { name: 'b', podCIDRs: ['10.244.1.0/24'], internalIPs: ['172.18.0.3'], vtepMac: MAC_B },
  // Another L2 segment, reachable only through a router.
  { name: 'c', podCIDRs: ['10.244.2.0/24'], internalIPs: ['192.168.9.4'], vtepMac: MAC_C },
];
const input = { nodes, localNode: 'a', underlay, vtepMac: MAC_A };

describe('desiredState', () => {
  it('VXLAN: one device, and per remote node one neighbour, one FDB entry and one onlink route', () => {
    const s = desiredState({ ...input, config: overlayConfig() });
    expect(s.device).toEqual({
      name: 'switchyard.1',
      vni: 1,
      port: 8472,
      local: '172.18.0.2',
      dev: 'eth0',
      mtu: 1450,
      mac: MAC_A,
      addresses: ['10.244.0.0/32'],
    });
    expect(s.neighbours).toEqual([
      { dev: 'switchyard.1', ip: '10.244.1.0', mac: MAC_B },
      { dev: 'switchyard.1', ip: '10.244.2.0', mac: MAC_C },
    ]);
    expect(s.fdb).toEqual([
      { dev: 'switchyard.1', mac: MAC_B, dst: '172.18.0.3' },
      { dev: 'switchyard.1', mac: MAC_C, dst: '192.168.9.4' },
    ]);
    expect(s.routes).toEqual([
      { dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'switchyard.1', onlink: true },
      { dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'switchyard.1', onlink: true },
    ]);
    expect(s.skipped).toEqual([]);
  });

  it('direct: a plain route via the node address, and no device; off-subnet nodes are skipped', () => {
    const s = desiredState({ ...input, config: overlayConfig({ mode: 'direct' }) });
    expect(s.device).toBeUndefined();
    expect(s.routes).toEqual([{ dst: '10.244.1.0/24', gateway: '172.18.0.3', onlink: false }]);
    expect(s.neighbours).toEqual([]);
    expect(s.skipped).toEqual([{ node: 'c', reason: expect.stringContaining('local subnet') }]);
  });

  it('direct, dual-stack: one route per family, each via the node address of that family', () => {
    const s = desiredState({
      nodes: [
        {
          name: 'a',
          podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'],
          internalIPs: ['172.18.0.2', 'fc00:f853::2'],
        },
        {
          name: 'b',
          podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
          internalIPs: ['172.18.0.3', 'fc00:f853::3'],
        },
      ],
      localNode: 'a',
      underlay: { ...underlay, cidrs: ['172.18.0.0/16', 'fc00:f853::/64'] },
      vtepMac: MAC_A,
      config: overlayConfig({ mode: 'direct' }),
    });
    expect(s.routes).toEqual([
      { dst: '10.244.1.0/24', gateway: '172.18.0.3', onlink: false },
      { dst: 'fd00:10:244:1::/64', gateway: 'fc00:f853::3', onlink: false },
    ]);
    expect(s.skipped).toEqual([]);
  });

  it('auto: direct on the shared subnet, VXLAN across it', () => {
    const s = desiredState({ ...input, config: overlayConfig({ mode: 'auto' }) });
    expect(s.peers).toEqual([
      { node: 'b', via: 'direct', podCIDRs: ['10.244.1.0/24'] },
      { node: 'c', via: 'vxlan', podCIDRs: ['10.244.2.0/24'] },
    ]);
    expect(s.routes).toEqual([
      { dst: '10.244.1.0/24', gateway: '172.18.0.3', onlink: false },
      { dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'switchyard.1', onlink: true },
    ]);
    expect(s.fdb).toEqual([{ dev: 'switchyard.1', mac: MAC_C, dst: '192.168.9.4' }]);
  });

  it('uses VNI, port and device from the config, the public-ip annotation, and 70 bytes over IPv6', () => {
    const v6: Underlay = { ip: 'fd00:18::2', cidrs: ['fd00:18::/64'], dev: 'eth0', mtu: 9000 };
    const s = desiredState({
      nodes: [
        { name: 'a', podCIDRs: ['10.244.0.0/24'], internalIPs: ['fd00:18::2'] },
        {
          name: 'b',
          podCIDRs: ['10.244.1.0/24'],
          internalIPs: ['fd00:18::3'],
          publicIP: 'fd00:99::3',
          vtepMac: MAC_B,
        },
      ],
      localNode: 'a',
      underlay: v6,
      vtepMac: MAC_A,
      config: overlayConfig({ vni: 42, port: 4789, device: 'vx42' }),
    });
    expect(s.device).toMatchObject({
      name: 'vx42',
      vni: 42,
      port: 4789,
      mtu: 8930,
      local: 'fd00:18::2',
    });
    expect(s.fdb).toEqual([{ dev: 'vx42', mac: MAC_B, dst: 'fd00:99::3' }]);
  });

  it('skips remote nodes with missing or bad data instead of failing', () => {
    const s = desiredState({
      ...input,
      config: overlayConfig(),
      nodes: [
        nodes[0]!,
        { name: 'no-cidr', podCIDRs: [], internalIPs: ['172.18.0.5'], vtepMac: MAC_B },
        { name: 'no-mac', podCIDRs: ['10.244.5.0/24'], internalIPs: ['172.18.0.6'] },
        {
          name: 'bad-cidr',
          podCIDRs: ['10.244.300.0/24'],
          internalIPs: ['172.18.0.7'],
          vtepMac: '0a:00:00:00:00:07',
        },
        {
          name: 'overlap',
          podCIDRs: ['10.244.0.128/25'],
          internalIPs: ['172.18.0.8'],
          vtepMac: '0a:00:00:00:00:08',
        },
        {
          name: 'same-mac',
          podCIDRs: ['10.244.9.0/24'],
          internalIPs: ['172.18.0.9'],
          vtepMac: MAC_A,
        },
        {
          name: 'v6-only',
          podCIDRs: ['fd00:244::/64'],
          internalIPs: ['172.18.0.10'],
          vtepMac: '0a:00:00:00:00:10',
        },
        {
          name: 'wide',
          podCIDRs: ['10.0.0.0/8'],
          internalIPs: ['172.18.0.11'],
          vtepMac: '0a:00:00:00:00:11',
        },
      ],
    });
    expect(s.routes).toEqual([]);
    expect(s.fdb).toEqual([]);
    expect(s.skipped.map((x) => x.node)).toEqual([
      'bad-cidr',
      'no-cidr',
      'no-mac',
      'overlap',
      'same-mac',
      'v6-only',
      'wide',
    ]);
    const reason = (node: string): string | undefined =>
      s.skipped.find((x) => x.node === node)?.reason;
    expect(reason('wide')).toBe('podCIDR 10.0.0.0/8 overlaps 10.244.0.0/24');
    expect(reason('overlap')).toBe('podCIDR 10.244.0.128/25 overlaps 10.244.0.0/24');
  });

  it('throws OverlayError for bad local input and bad config', () => {
    const config = overlayConfig();
    expect(() => desiredState({ ...input, config, localNode: 'zz' })).toThrow(OverlayError);
    expect(() =>
      desiredState({ ...input, config, nodes: [{ ...nodes[0]!, podCIDRs: [] }] }),
    ).toThrow(/no podCIDR/);
    expect(() => desiredState({ ...input, config, vtepMac: 'nope' })).toThrow(OverlayError);
    expect(() => desiredState({ ...input, config, underlay: { ...underlay, mtu: 600 } })).toThrow(
      /MTU/,
    );
    expect(() => overlayConfig({ vni: 0 })).toThrow(OverlayError);
    expect(() => overlayConfig({ port: 70000 })).toThrow(OverlayError);
    expect(() => overlayConfig({ protocol: 4 })).toThrow(OverlayError);
    expect(() => overlayConfig({ device: 'a-name-that-is-too-long' })).toThrow(OverlayError);
    expect(() => overlayConfig({ mode: 'geneve' as never })).toThrow(OverlayError);
  });
});
