import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { conntrackCleanup } from '../src/conntrack-cleanup.js';
import { ep, model, service, slice } from './fixtures.js';

const svc = service('dns', {
  type: 'NodePort',
  clusterIP: '10.96.0.10',
  externalIPs: ['203.0.113.7'],
  ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }],
});
const ports = (...ips: string[]): ReturnType<typeof compile>['servicePorts'] =>
  compile(
    model(
      [svc],
      [
        slice(
          'dns',
          ips.map((ip) => ep(ip)),
          { name: 'dns', protocol: 'UDP' },
        ),
      ],
    ),
  ).servicePorts;
const base = ['conntrack', '-D', '-f', 'ipv4', '-p', 'udp'];

describe('conntrackCleanup', () => {
  it('removes entries answered by an endpoint that left, for every service address and the NodePort', () => {
    expect(conntrackCleanup(ports('10.244.1.5', '10.244.2.5'), ports('10.244.2.5'))).toEqual([
      [...base, '--orig-dst', '10.96.0.10', '--orig-port-dst', '53', '--reply-src', '10.244.1.5'],
      [...base, '--orig-dst', '203.0.113.7', '--orig-port-dst', '53', '--reply-src', '10.244.1.5'],
      [...base, '--orig-port-dst', '30053', '--reply-src', '10.244.1.5'],
    ]);
  });

  it('forgets everything about a service that just got its first endpoint', () => {
    expect(conntrackCleanup(ports(), ports('10.244.1.5'))).toEqual([
      [...base, '--orig-dst', '10.96.0.10', '--orig-port-dst', '53'],
      [...base, '--orig-dst', '203.0.113.7', '--orig-port-dst', '53'],
      [...base, '--orig-port-dst', '30053'],
    ]);
  });

  it('has nothing to do for TCP or unchanged endpoints', () => {
    expect(conntrackCleanup(ports('10.244.1.5'), ports('10.244.1.5', '10.244.2.5'))).toEqual([]);
    const tcp = compile(
      model([service('web', { clusterIP: '10.96.0.11' })], [slice('web', [ep('10.244.1.5')])]),
    ).servicePorts;
    expect(conntrackCleanup(tcp, [])).toEqual([]);
  });
});
