import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { renderFullSync } from '../src/nft-render.js';
import { fromNode, model, outcomes, outside, pod, ep, service, slice } from './fixtures.js';

// One describe per row of the feature table in services.md, each proven with the packet tracer
// over the same structured ruleset the nft text is rendered from.

const CIP = '10.96.0.10';
const TWO = [ep('10.244.1.5', { node: 'node-a' }), ep('10.244.2.5', { node: 'node-b' })];

describe('ClusterIP', () => {
  const m = model([service('web', { clusterIP: CIP })], [slice('web', TWO)]);

  it('DNATs to any ready endpoint, keeping a pod client address', () => {
    expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.5:8080', '10.244.2.5:8080']);
  });

  it('masquerades clients outside the cluster CIDRs', () => {
    expect(outcomes(m, outside('172.16.0.9', CIP, 80))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080 masq',
    ]);
  });

  it('picks the endpoint from the shared endpoint map, one pick chain per endpoint count', () => {
    const text = renderFullSync(compile(m).ruleset);
    expect(text).toContain(
      'add rule inet switchyard-proxy pick-v4-2 dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoints-v4',
    );
    expect(text).toContain(
      'add element inet switchyard-proxy endpoints-v4 { 10.96.0.10 . tcp . 80 . 0 : 10.244.1.5 . 8080, 10.96.0.10 . tcp . 80 . 1 : 10.244.2.5 . 8080 }',
    );
    // no chain of its own
    expect([...compile(m).ruleset.chains.keys()].filter((n) => n.includes('/'))).toEqual([]);
    const eps = Array.from({ length: 20 }, (_, i) => ep(`10.244.5.${i + 1}`));
    const many = model([service('big', { clusterIP: CIP })], [slice('big', eps)]);
    expect(renderFullSync(compile(many).ruleset)).toContain(
      'numgen random mod 20 map @endpoints-v4',
    );
    expect(outcomes(many, pod('10.244.3.3', CIP, 80))).toHaveLength(20);
  });

  it('with affinity: per-service numgen rules for few endpoints, one numgen vmap for many', () => {
    const affine = { clusterIP: CIP, sessionAffinity: 'ClientIP' as const };
    const few = model(
      [service('web', affine)],
      [slice('web', [ep('10.244.1.5'), ep('10.244.2.5')])],
    );
    expect(renderFullSync(compile(few).ruleset)).toMatch(
      /numgen random mod 2 == 0 update @affinity-\S+ \{ ip saddr \} meta l4proto tcp dnat ip to 10\.244\.1\.5:8080|numgen random mod 2 == 0 meta l4proto tcp update @affinity-\S+ \{ ip saddr \} dnat ip to 10\.244\.1\.5:8080/,
    );
    const eps = Array.from({ length: 20 }, (_, i) => ep(`10.244.5.${i + 1}`));
    const many = model([service('big', affine)], [slice('big', eps)]);
    expect(renderFullSync(compile(many).ruleset)).toMatch(
      /numgen random mod 20 vmap \{ 0 : goto endpoint-/,
    );
    expect(outcomes(many, pod('10.244.3.3', CIP, 80))).toHaveLength(20);
  });

  it('leaves other ports and protocols of the address alone', () => {
    expect(outcomes(m, pod('10.244.3.3', CIP, 81))).toEqual(['ACCEPT']);
    expect(outcomes(m, pod('10.244.3.3', CIP, 80, 'udp'))).toEqual(['ACCEPT']);
  });

  it('serves multiple ports, each to its own target port', () => {
    const multi = model(
      [
        service('multi', {
          clusterIP: CIP,
          ports: [
            { name: 'http', port: 80 },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
      ],
      [
        slice('multi', TWO.slice(0, 1)),
        {
          ...slice('multi', TWO.slice(1), { name: 'dns', port: 5353, protocol: 'UDP' }),
          metadata: {
            name: 'multi-dns',
            namespace: 'default',
            labels: { 'kubernetes.io/service-name': 'multi' },
          },
        },
      ],
    );
    expect(outcomes(multi, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.5:8080']);
    expect(outcomes(multi, pod('10.244.3.3', CIP, 53, 'udp'))).toEqual(['10.244.2.5:5353']);
  });
});

describe('NodePort', () => {
  const np = service('np', {
    type: 'NodePort',
    clusterIP: CIP,
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
  });
  const m = model([np], [slice('np', TWO)]);

  it('answers on every node address and masquerades (externalTrafficPolicy Cluster)', () => {
    expect(outcomes(m, outside('172.16.0.9', '192.168.0.10', 30080))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080 masq',
    ]);
  });

  it('does not answer on loopback or on foreign addresses', () => {
    expect(outcomes(m, fromNode('127.0.0.1', '127.0.0.1', 30080))).toEqual(['ACCEPT local']);
    expect(outcomes(m, outside('172.16.0.9', '192.168.0.99', 30080))).toEqual(['ACCEPT']);
  });

  it('with nodePortAddresses answers only there', () => {
    const limited = model([np], [slice('np', TWO)], {
      name: 'node-a',
      addresses: ['192.168.0.10', '192.168.1.10'],
      clusterCIDRs: ['10.244.0.0/16'],
      nodePortAddresses: ['192.168.1.10'],
    });
    expect(outcomes(limited, outside('172.16.0.9', '192.168.1.10', 30080))).toHaveLength(2);
    expect(outcomes(limited, outside('172.16.0.9', '192.168.0.10', 30080))).toEqual([
      'ACCEPT local',
    ]);
  });
});

describe('LoadBalancer', () => {
  const lb = (extra: object = {}, ipMode?: 'Proxy'): ReturnType<typeof model> =>
    model(
      [
        service(
          'lb',
          {
            type: 'LoadBalancer',
            clusterIP: CIP,
            ports: [{ name: 'http', port: 80, nodePort: 30080 }],
            ...extra,
          },
          { lbIngress: [{ ip: '198.51.100.1', ...(ipMode ? { ipMode } : {}) }] },
        ),
      ],
      [slice('lb', TWO)],
    );

  it('handles ingress IPs like external IPs', () => {
    expect(outcomes(lb(), outside('172.16.0.9', '198.51.100.1', 80))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080 masq',
    ]);
  });

  it('skips ingress IPs with ipMode Proxy', () => {
    expect(outcomes(lb({}, 'Proxy'), outside('172.16.0.9', '198.51.100.1', 80))).toEqual([
      'ACCEPT',
    ]);
  });

  it('loadBalancerSourceRanges drop other sources, but not at the NodePort', () => {
    const m = lb({ loadBalancerSourceRanges: ['172.16.0.0/24'] });
    expect(outcomes(m, outside('172.16.0.9', '198.51.100.1', 80))).toHaveLength(2);
    expect(outcomes(m, outside('172.17.0.9', '198.51.100.1', 80))).toEqual(['DROP']);
    expect(outcomes(m, outside('172.17.0.9', '192.168.0.10', 30080))).toHaveLength(2);
  });

  it('a source range holding the node also admits the VIP as source (node to its own VIP)', () => {
    const m = lb({ loadBalancerSourceRanges: ['192.168.0.0/24'] });
    const text = renderFullSync(compile(m).ruleset);
    expect(text).toContain('ip saddr != { 192.168.0.0/24, 198.51.100.1 } drop');
  });
});

describe('ExternalIPs', () => {
  it('DNATs like ClusterIP and masquerades', () => {
    const m = model(
      [service('ext', { clusterIP: CIP, externalIPs: ['203.0.113.7'] })],
      [slice('ext', TWO)],
    );
    expect(outcomes(m, outside('172.16.0.9', '203.0.113.7', 80))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080 masq',
    ]);
  });
});

describe('services that are not proxied', () => {
  const cases = [
    service('name', { type: 'ExternalName', clusterIP: CIP }),
    service('headless', { clusterIP: 'None' }),
    service(
      'other',
      { clusterIP: CIP },
      { labels: { 'service.kubernetes.io/service-proxy-name': 'other-proxy' } },
    ),
    service('hl', { clusterIP: CIP }, { labels: { 'service.kubernetes.io/headless': '' } }),
  ];
  for (const svc of cases) {
    it(`${svc.metadata.name}: no chains, traffic untouched`, () => {
      const m = model([svc], [slice(svc.metadata.name, TWO)]);
      const { ruleset } = compile(m);
      expect([...ruleset.chains.keys()].filter((n) => n.includes('/'))).toEqual([]);
      expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toEqual(['ACCEPT']);
    });
  }
});

describe('externalTrafficPolicy Local', () => {
  const svc = (eps = TWO): ReturnType<typeof model> =>
    model(
      [
        service(
          'loc',
          {
            type: 'LoadBalancer',
            clusterIP: CIP,
            externalTrafficPolicy: 'Local',
            healthCheckNodePort: 32000,
            ports: [{ name: 'http', port: 80, nodePort: 30080 }],
          },
          { lbIngress: [{ ip: '198.51.100.1' }] },
        ),
      ],
      [slice('loc', eps)],
    );

  it('sends outside traffic only to local endpoints and keeps the client address', () => {
    expect(outcomes(svc(), outside('172.16.0.9', '198.51.100.1', 80))).toEqual(['10.244.1.5:8080']);
    expect(outcomes(svc(), outside('172.16.0.9', '192.168.0.10', 30080))).toEqual([
      '10.244.1.5:8080',
    ]);
  });

  it('short-circuits pod traffic to the cluster policy', () => {
    expect(outcomes(svc(), pod('10.244.3.3', '198.51.100.1', 80))).toEqual([
      '10.244.1.5:8080',
      '10.244.2.5:8080',
    ]);
  });

  it('masquerades traffic from the node itself and uses any endpoint', () => {
    expect(outcomes(svc(), fromNode('192.168.0.10', '198.51.100.1', 80))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080 masq',
    ]);
  });

  it('drops outside traffic when there is no local endpoint, pods still get through', () => {
    const remote = svc([ep('10.244.2.5', { node: 'node-b' })]);
    expect(outcomes(remote, outside('172.16.0.9', '198.51.100.1', 80))).toEqual(['DROP']);
    expect(outcomes(remote, outside('172.16.0.9', '192.168.0.10', 30080))).toEqual(['DROP']);
    expect(outcomes(remote, pod('10.244.3.3', '198.51.100.1', 80))).toEqual(['10.244.2.5:8080']);
  });

  it('exposes the health-check node port with the local endpoint count', () => {
    expect(compile(svc()).healthChecks).toEqual([
      { namespace: 'default', name: 'loc', nodePort: 32000, localEndpoints: 1 },
    ]);
    const none = compile(svc([ep('10.244.2.5')])).healthChecks;
    expect(none).toEqual([
      { namespace: 'default', name: 'loc', nodePort: 32000, localEndpoints: 0 },
    ]);
  });
});

describe('internalTrafficPolicy Local', () => {
  const m = (eps = TWO): ReturnType<typeof model> =>
    model(
      [service('itp', { clusterIP: CIP, internalTrafficPolicy: 'Local' })],
      [slice('itp', eps)],
    );

  it('uses only node-local endpoints for the ClusterIP', () => {
    expect(outcomes(m(), pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.5:8080']);
  });

  it('drops when there is no local endpoint (not REJECT: the service has endpoints)', () => {
    expect(outcomes(m([ep('10.244.2.5')]), pod('10.244.3.3', CIP, 80))).toEqual(['DROP']);
  });
});

describe('sessionAffinity ClientIP', () => {
  const m = model(
    [
      service('sticky', {
        clusterIP: CIP,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      }),
    ],
    [slice('sticky', TWO)],
  );

  it('remembers each chosen endpoint per source address with the timeout', () => {
    const { ruleset } = compile(m);
    const sets = [...ruleset.affinitySets.values()];
    expect(sets.map((s) => s.timeoutSeconds)).toEqual([600, 600]);
    const text = renderFullSync(ruleset);
    expect(text).toMatch(/flags dynamic,timeout ; timeout 600s/);
    expect(text).toMatch(/update @affinity-\S+ \{ ip saddr \}/);
  });

  it('the tracer follows a remembered source to its endpoint', async () => {
    const { trace } = await import('../src/trace.js');
    const t = trace(compile(m).ruleset, pod('10.244.3.3', CIP, 80));
    expect(t.outcomes.map((o) => (o.kind === 'endpoint' ? o.ip : o.kind)).sort()).toEqual([
      '10.244.1.5',
      '10.244.2.5',
    ]);
  });

  it('defaults the timeout to 10800 s', () => {
    const d = model(
      [service('s', { clusterIP: CIP, sessionAffinity: 'ClientIP' })],
      [slice('s', TWO)],
    );
    expect([...compile(d).ruleset.affinitySets.values()][0]?.timeoutSeconds).toBe(10800);
  });
});

describe('terminating endpoints', () => {
  it('fall back to serving+terminating endpoints when none is ready', () => {
    const eps = [
      ep('10.244.1.5', { ready: false, serving: true, terminating: true }),
      ep('10.244.2.5', { ready: false, serving: false, terminating: true }),
    ];
    const m = model([service('t', { clusterIP: CIP })], [slice('t', eps)]);
    expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.5:8080']);
  });

  it('are not used while a ready endpoint exists', () => {
    const eps = [
      ep('10.244.1.5', { ready: false, serving: true, terminating: true }),
      ep('10.244.2.5'),
    ];
    const m = model([service('t', { clusterIP: CIP })], [slice('t', eps)]);
    expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.2.5:8080']);
  });

  it('Local policy prefers local ready, then local serving+terminating', () => {
    const svc = service('t', { clusterIP: CIP, internalTrafficPolicy: 'Local' });
    const term = ep('10.244.1.6', {
      node: 'node-a',
      ready: false,
      serving: true,
      terminating: true,
    });
    const withReady = model([svc], [slice('t', [term, ep('10.244.1.5', { node: 'node-a' })])]);
    expect(outcomes(withReady, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.5:8080']);
    const onlyTerm = model([svc], [slice('t', [term, ep('10.244.2.5')])]);
    expect(outcomes(onlyTerm, pod('10.244.3.3', CIP, 80))).toEqual(['10.244.1.6:8080']);
  });
});

describe('no endpoints', () => {
  const m = model(
    [
      service('empty', {
        type: 'NodePort',
        clusterIP: CIP,
        externalIPs: ['203.0.113.7'],
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      }),
    ],
    [slice('empty', [ep('10.244.1.5', { ready: false })])],
  );
  it('REJECTs at the ClusterIP, external IP and NodePort', () => {
    expect(outcomes(m, pod('10.244.3.3', CIP, 80))).toEqual(['REJECT']);
    expect(outcomes(m, outside('172.16.0.9', '203.0.113.7', 80))).toEqual(['REJECT']);
    expect(outcomes(m, outside('172.16.0.9', '192.168.0.10', 30080))).toEqual(['REJECT']);
    expect(outcomes(m, fromNode('192.168.0.10', CIP, 80))).toEqual(['REJECT']);
  });
});

describe('masquerade and hairpin', () => {
  const m = model([service('web', { clusterIP: CIP })], [slice('web', TWO)]);
  it('an endpoint reaching itself through the service is masqueraded, others are not', () => {
    expect(outcomes(m, pod('10.244.1.5', CIP, 80))).toEqual([
      '10.244.1.5:8080 masq',
      '10.244.2.5:8080',
    ]);
  });

  it('only endpoints not known to run on another node join the hairpin set', () => {
    const eps = [
      ep('10.244.1.5', { node: 'node-a' }),
      { addresses: ['10.244.1.6'] }, // no nodeName: maybe this node
      ep('10.244.2.5', { node: 'node-b' }),
    ];
    const { ruleset } = compile(model([service('web', { clusterIP: CIP })], [slice('web', eps)]));
    expect([...ruleset.hairpin.ipv4.keys()]).toEqual(['10.244.1.5', '10.244.1.6']);
  });
});
