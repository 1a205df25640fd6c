import { describe, expect, it } from 'vitest';
import { ep, model, outcomes, outside, pod, service, slice } from './fixtures.js';

// Feature rows continued (see features.test.ts): dual-stack and topology-aware routing.

const CIP = '10.96.0.10';
const TWO = [ep('10.244.1.5', { node: 'node-a' }), ep('10.244.2.5', { node: 'node-b' })];

describe('dual-stack', () => {
  const svc = service('ds', {
    type: 'NodePort',
    clusterIP: CIP,
    clusterIPs: [CIP, 'fd00:96::10'],
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
  });
  const m = model(
    [svc],
    [
      slice('ds', TWO),
      slice('ds', [ep('fd00:244:0:1::5', { node: 'node-a' })], { family: 'IPv6' }),
    ],
  );

  it('IPv6 ClusterIP and NodePort reach IPv6 endpoints', () => {
    expect(outcomes(m, pod('fd00:244:0:3::3', 'fd00:96::10', 80))).toEqual([
      '[fd00:244:0:1::5]:8080',
    ]);
    expect(outcomes(m, outside('2001:db8::9', 'fd00:192::10', 30080))).toEqual([
      '[fd00:244:0:1::5]:8080 masq',
    ]);
    expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toHaveLength(2);
  });

  it('a single-stack IPv4 NodePort does not capture IPv6 traffic', () => {
    const v4 = model([{ ...svc, spec: { ...svc.spec, clusterIPs: [CIP] } }], [slice('ds', TWO)]);
    expect(outcomes(v4, outside('2001:db8::9', 'fd00:192::10', 30080))).toEqual(['ACCEPT local']);
  });
});

describe('topology-aware routing', () => {
  const svc = service('topo', { clusterIP: CIP, trafficDistribution: 'PreferClose' });
  const run = (eps: ReturnType<typeof ep>[]): string[] =>
    outcomes(model([svc], [slice('topo', eps)]), pod('10.244.3.3', CIP, 80));

  it('uses same-zone endpoints when every ready endpoint is hinted', () => {
    expect(
      run([ep('10.244.1.5', { zones: ['zone-a'] }), ep('10.244.2.5', { zones: ['zone-b'] })]),
    ).toEqual(['10.244.1.5:8080']);
  });

  it('ignores hints when one ready endpoint lacks them', () => {
    expect(run([ep('10.244.1.5', { zones: ['zone-a'] }), ep('10.244.2.5')])).toHaveLength(2);
  });

  it('ignores hints when none names this zone', () => {
    expect(
      run([ep('10.244.1.5', { zones: ['zone-c'] }), ep('10.244.2.5', { zones: ['zone-b'] })]),
    ).toHaveLength(2);
  });

  it('node hints (PreferSameNode) win over zone hints', () => {
    const eps = [
      ep('10.244.1.5', { zones: ['zone-a'], nodes: ['node-a'] }),
      ep('10.244.1.6', { zones: ['zone-a'], nodes: ['node-c'] }),
    ];
    expect(run(eps)).toEqual(['10.244.1.5:8080']);
  });
});

describe('categorizeEndpoints', () => {
  it('reports which topology mode filtered the Cluster endpoints', async () => {
    const { categorizeEndpoints } = await import('../src/categorize.js');
    const { compile } = await import('../src/compile.js');
    const svc = service('topo', { clusterIP: CIP });
    const zoned = [
      ep('10.244.1.5', { zones: ['zone-a'] }),
      ep('10.244.2.5', { zones: ['zone-b'] }),
    ];
    const c = compile(model([svc], [slice('topo', zoned)]));
    const cat = categorizeEndpoints(c.servicePorts[0]!, c.node);
    expect(cat.topology).toBe('PreferSameZone');
    expect(cat.cluster.map((e) => e.ip)).toEqual(['10.244.1.5']);
    expect(cat.hasAny).toBe(true);
  });
});
