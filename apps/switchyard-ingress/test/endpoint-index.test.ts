import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Endpoint, ServiceRef } from '@switchyard/ingress';
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

/** The rules of `resolve` written out plainly, over the objects currently set. */
function uncached(
  services: ReadonlyMap<string, V1Service>,
  slices: ReadonlyMap<string, ReadonlyMap<string, V1EndpointSlice>>,
  ref: ServiceRef,
): Endpoint[] {
  const k = `${ref.namespace}/${ref.name}`;
  const port = services
    .get(k)
    ?.spec?.ports?.find((p) => (typeof ref.port === 'number' ? p.port : p.name) === ref.port);
  if (!port) return [];
  const out: Endpoint[] = [];
  for (const s of slices.get(k)?.values() ?? []) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const target = s.ports?.find((p) => (p.name ?? '') === (port.name ?? ''))?.port;
    if (typeof target !== 'number') continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready !== false && e.addresses[0] !== undefined)
        out.push({ address: e.addresses[0], port: target });
    }
  }
  return out;
}

/** mulberry32: a small seeded generator so a failure replays exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('EndpointIndex cache', () => {
  const svcNames = ['a', 'b'];
  // Each slice belongs to one Service, as the EndpointSlice controller names them.
  const sliceNames = ['a-1', 'a-2', 'a-3', 'b-1', 'b-2'];
  const refs: ServiceRef[] = svcNames.flatMap((name) =>
    [80, 81, 9000, 'http', 'admin', 'other'].map((port) => ({ namespace: 'ns', name, port })),
  );

  it('gives the uncached result after every step of a random set/delete sequence', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = seeded(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const idx = new EndpointIndex();
      const services = new Map<string, V1Service>();
      const slices = new Map<string, Map<string, V1EndpointSlice>>();
      for (let step = 0; step < 300; step++) {
        const what = rand();
        if (what < 0.25) {
          const name = pick(svcNames);
          const svc: V1Service = {
            metadata: { namespace: 'ns', name },
            spec: {
              ports: [
                { name: 'http', port: 80 },
                { name: 'admin', port: 9000 },
                { port: 81 },
              ].filter(() => rand() < 0.6),
            },
          };
          if (rand() < 0.8) {
            idx.setService(svc);
            services.set(`ns/${name}`, svc);
          } else {
            idx.deleteService(svc);
            services.delete(`ns/${name}`);
          }
        } else {
          const name = pick(sliceNames);
          const svc = name.split('-')[0]!;
          const slice: V1EndpointSlice = {
            metadata: {
              namespace: 'ns',
              name,
              labels: { 'kubernetes.io/service-name': svc },
            },
            addressType: pick(['IPv4', 'IPv4', 'IPv6', 'FQDN']),
            ports: [
              { name: 'http', port: 8000 + Math.floor(rand() * 3) },
              { name: 'admin', port: 9001 },
              { port: 8081 },
            ].filter(() => rand() < 0.7),
            endpoints: Array.from({ length: Math.floor(rand() * 4) }, (_, i) => ({
              addresses: [`10.0.${step % 250}.${i + 1}`, '10.9.9.9'].slice(0, 1 + (i % 2)),
              conditions: { ready: pick([true, false, undefined]) },
            })),
          };
          const k = `ns/${svc}`;
          if (rand() < 0.7) {
            idx.setSlice(slice);
            let m = slices.get(k);
            if (!m) slices.set(k, (m = new Map()));
            m.set(name, slice);
          } else {
            idx.deleteSlice(slice);
            slices.get(k)?.delete(name);
            if (slices.get(k)?.size === 0) slices.delete(k);
          }
        }
        // Resolve only some refs at some steps, so cached lists from earlier steps get reused.
        for (const ref of refs) {
          if (rand() < 0.5) continue;
          const got = idx.resolve(ref);
          expect(got, `seed ${seed} step ${step} ${JSON.stringify(ref)}`).toEqual(
            uncached(services, slices, ref),
          );
          expect(Object.isFrozen(got)).toBe(true);
        }
      }
    }
  });

  it('returns the same list until the Service or a slice changes, then the new one', () => {
    const idx = new EndpointIndex();
    const ref = { namespace: 'ns', name: 'web', port: 80 };
    const slice = (addresses: string[]): V1EndpointSlice => ({
      metadata: { namespace: 'ns', name: 'web-a', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: addresses.map((a) => ({ addresses: [a] })),
    });
    const service = (port: number): V1Service => ({
      metadata: { namespace: 'ns', name: 'web' },
      spec: { ports: [{ name: 'http', port }] },
    });
    expect(idx.resolve(ref)).toEqual([]);
    idx.setService(service(80));
    idx.setSlice(slice(['10.2.0.1']));
    const first = idx.resolve(ref);
    expect(first).toEqual([{ address: '10.2.0.1', port: 8080 }]);
    expect(idx.resolve(ref)).toBe(first);
    expect(() => (first as Endpoint[]).push({ address: '10.2.0.9', port: 1 })).toThrow(TypeError);

    idx.setSlice(slice(['10.2.0.1', '10.2.0.2']));
    expect(idx.resolve(ref)).toEqual([
      { address: '10.2.0.1', port: 8080 },
      { address: '10.2.0.2', port: 8080 },
    ]);
    idx.setService(service(8000));
    expect(idx.resolve(ref)).toEqual([]);
    expect(idx.resolve({ ...ref, port: 8000 })).toHaveLength(2);
    idx.deleteSlice(slice([]));
    expect(idx.resolve({ ...ref, port: 8000 })).toEqual([]);
    idx.setSlice(slice(['10.2.0.3']));
    idx.deleteService(service(8000));
    expect(idx.resolve({ ...ref, port: 8000 })).toEqual([]);
  });
});
