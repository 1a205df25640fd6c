import { describe, expect, it } from 'vitest';
import { EndpointIndex } from '../src/endpoint-index.js';

describe('EndpointIndex', () => {
  const idx = new EndpointIndex();
  idx.setService({
    metadata: { namespace: 'ns', name: 'web' },
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9000 },
      ],
    },
  });
  idx.setSlice({
    metadata: { namespace: 'ns', name: 'web-a', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [
      { name: 'http', port: 8080 },
      { name: 'admin', port: 9001 },
    ],
    endpoints: [
      { addresses: ['10.1.0.2'], conditions: { ready: true } },
      { addresses: ['10.1.0.3'], conditions: { ready: false } },
    ],
  });
  idx.setSlice({
    metadata: { namespace: 'ns', name: 'web-b', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [{ addresses: ['10.1.0.4'] }],
  });

  it('maps a Service port (number or name) to ready endpoint addresses and target ports', () => {
    const want = [
      { address: '10.1.0.2', port: 8080 },
      { address: '10.1.0.4', port: 8080 },
    ];
    expect(idx.resolve({ namespace: 'ns', name: 'web', port: 80 })).toEqual(want);
    expect(idx.resolve({ namespace: 'ns', name: 'web', port: 'http' })).toEqual(want);
    expect(idx.resolve({ namespace: 'ns', name: 'web', port: 9000 })).toEqual([
      { address: '10.1.0.2', port: 9001 },
    ]);
  });

  it('has nothing for an unknown port or Service, and forgets deleted slices', () => {
    expect(idx.resolve({ namespace: 'ns', name: 'web', port: 81 })).toEqual([]);
    expect(idx.serviceExists({ namespace: 'ns', name: 'nope', port: 80 })).toBe(false);
    idx.deleteSlice({
      metadata: { namespace: 'ns', name: 'web-b', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [],
    });
    expect(idx.resolve({ namespace: 'ns', name: 'web', port: 80 })).toEqual([
      { address: '10.1.0.2', port: 8080 },
    ]);
  });
});
