import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  chooseVtepMac,
  overlayAnnotations,
  overlayNodeFromObject,
} from '../src/index.js';

describe('nodes and annotations', () => {
  it('reads name, pod CIDRs, InternalIPs and the overlay annotations from a Node object', () => {
    const node = overlayNodeFromObject({
      metadata: {
        name: 'kind-worker',
        annotations: {
          [ANNOTATION_VTEP_MAC]: '0A:00:00:00:00:01',
          [ANNOTATION_PUBLIC_IP]: '203.0.113.5',
        },
      },
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] },
      status: {
        addresses: [
          { type: 'InternalIP', address: '172.18.0.3' },
          { type: 'Hostname', address: 'kind-worker' },
        ],
      },
    });
    expect(node).toEqual({
      name: 'kind-worker',
      podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
      internalIPs: ['172.18.0.3'],
      vtepMac: '0a:00:00:00:00:01',
      publicIP: '203.0.113.5',
    });
    expect(overlayNodeFromObject({ spec: { podCIDR: '10.244.2.0/24' } }).podCIDRs).toEqual([
      '10.244.2.0/24',
    ]);
    expect(
      overlayAnnotations({
        vtepMac: '0a:00:00:00:00:01',
        publicIP: '172.18.0.3',
        backend: 'vxlan',
      }),
    ).toEqual({
      'switchyard.dev/vtep-mac': '0a:00:00:00:00:01',
      'switchyard.dev/public-ip': '172.18.0.3',
      'switchyard.dev/backend': 'vxlan',
    });
  });

  it('keeps the existing VTEP MAC and otherwise makes a locally administered unicast one', () => {
    expect(chooseVtepMac('0A:11:22:33:44:55')).toBe('0a:11:22:33:44:55');
    const fixed = chooseVtepMac(undefined, () => Buffer.from([0xff, 1, 2, 3, 4, 5]));
    expect(fixed).toBe('fe:01:02:03:04:05');
    for (let i = 0; i < 20; i++) {
      const mac = chooseVtepMac(undefined);
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0x03).toBe(0x02);
    }
    expect(chooseVtepMac('00:00:00:00:00:00', () => Buffer.alloc(6))).toBe('02:00:00:00:00:00');
  });
});
