import type { EndpointSliceLike, ServiceLike } from '@switchyard/dns';

/*
 * The made-up cluster this server answers for, written in code: the objects have the shape of the
 * Kubernetes API's (an informer's objects would fit unchanged), but nothing here needs a cluster.
 */

export const ZONE = 'corp.test';

export const services: ServiceLike[] = [
  {
    metadata: { namespace: 'shop', name: 'cart' },
    spec: {
      clusterIPs: ['10.50.0.10'],
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
    },
  },
  // Headless: the name answers with the ready endpoints themselves.
  {
    metadata: { namespace: 'shop', name: 'db' },
    spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
  },
  // An alias for cart inside the zone: a CNAME the resolver follows itself.
  {
    metadata: { namespace: 'shop', name: 'basket' },
    spec: { type: 'ExternalName', externalName: `cart.shop.svc.${ZONE}` },
  },
];

export const endpointSlices: EndpointSliceLike[] = [
  {
    metadata: {
      namespace: 'shop',
      name: 'db-7f2k1',
      labels: { 'kubernetes.io/service-name': 'db' },
    },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.60.1.4'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.60.2.4'], hostname: 'db-1', conditions: { ready: true } },
      // Not ready: left out of the answers.
      { addresses: ['10.60.3.4'], hostname: 'db-2', conditions: { ready: false } },
    ],
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  },
];
