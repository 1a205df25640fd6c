import type { EndpointSliceLike, PodLike, ServiceLike } from '../src/objects.js';
import { Zone } from '../src/zone.js';

export function service(ns: string, name: string, spec: ServiceLike['spec']): ServiceLike {
  return { metadata: { namespace: ns, name }, spec };
}

export function slice(
  ns: string,
  svc: string,
  name: string,
  addressType: 'IPv4' | 'IPv6',
  endpoints: EndpointSliceLike['endpoints'],
  ports: EndpointSliceLike['ports'] = [{ name: 'http', port: 80, protocol: 'TCP' }],
): EndpointSliceLike {
  return {
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    endpoints,
    ports,
  };
}

export function pod(ns: string, name: string, ip: string): PodLike {
  return { metadata: { namespace: ns, name }, status: { podIP: ip, podIPs: [{ ip }] } };
}

const http = [{ name: 'http', port: 80, protocol: 'TCP' }];

/** A zone shaped like CoreDNS's handler tests: ClusterIP, dual-stack, headless, ExternalName. */
export function fixtureZone(): Zone {
  const z = new Zone();
  z.upsertNamespace({ metadata: { name: 'testns' } });
  z.upsertService(
    service('testns', 'svc1', {
      type: 'ClusterIP',
      clusterIP: '10.0.0.1',
      clusterIPs: ['10.0.0.1'],
      ports: http,
    }),
  );
  z.upsertEndpointSlice(
    slice('testns', 'svc1', 'svc1-abc', 'IPv4', [
      { addresses: ['172.0.0.1'], conditions: { ready: true } },
    ]),
  );
  z.upsertService(service('testns', 'svcempty', { clusterIPs: ['10.0.0.2'], ports: http }));
  z.upsertService(service('testns', 'svc6', { clusterIPs: ['1234:abcd::1'], ports: http }));
  z.upsertService(
    service('testns', 'dual', {
      clusterIPs: ['10.0.0.3', '10::3'],
      ports: [...http, { port: 9000, protocol: 'UDP' }],
    }),
  );
  z.upsertService(service('testns', 'hdls1', { clusterIP: 'None', ports: http }));
  z.upsertEndpointSlice(
    slice('testns', 'hdls1', 'hdls1-v4', 'IPv4', [
      { addresses: ['172.0.0.2'] },
      { addresses: ['172.0.0.3'], conditions: { ready: true } },
      { addresses: ['172.0.0.4'], hostname: 'dup-name' },
      { addresses: ['172.0.0.5'], hostname: 'dup-name' },
      { addresses: ['172.0.0.9'], hostname: 'not-ready', conditions: { ready: false } },
    ]),
  );
  z.upsertEndpointSlice(
    slice('testns', 'hdls1', 'hdls1-v6', 'IPv6', [
      { addresses: ['5678:abcd::1'] },
      { addresses: ['5678:abcd::2'] },
    ]),
  );
  z.upsertService(service('testns', 'hdlsempty', { clusterIP: 'None' }));
  z.upsertService(service('testns', 'hdlsunready', { clusterIP: 'None', ports: http }));
  z.upsertEndpointSlice(
    slice('testns', 'hdlsunready', 'hdlsunready-1', 'IPv4', [
      { addresses: ['172.0.1.1'], conditions: { ready: false } },
    ]),
  );
  z.upsertService(
    service('testns', 'hdlspublish', { clusterIP: 'None', publishNotReadyAddresses: true }),
  );
  z.upsertEndpointSlice(
    slice('testns', 'hdlspublish', 'hdlspublish-1', 'IPv4', [
      { addresses: ['172.0.2.1'], conditions: { ready: false } },
    ]),
  );
  z.upsertService(
    service('testns', 'external', { type: 'ExternalName', externalName: 'ext.interwebs.test' }),
  );
  z.upsertService(
    service('testns', 'ext-to-svc', {
      type: 'ExternalName',
      externalName: 'svc1.testns.svc.cluster.local.',
    }),
  );
  z.upsertPod(pod('testns', 'web-0', '10.244.1.5'));
  z.markSynced();
  return z;
}
