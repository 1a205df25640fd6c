import { describe, expect, it } from 'vitest';
import { compile, formatTrace, renderFullSync, trace } from '../src/index.js';

// The README's offline snippet, kept runnable.
describe('README snippet', () => {
  it('generates rules offline and traces a NodePort packet', () => {
    const { ruleset, healthChecks, skipped } = compile({
      node: { name: 'node-a', addresses: ['192.168.0.10'], clusterCIDRs: ['10.244.0.0/16'] },
      services: [
        {
          metadata: { name: 'web', namespace: 'default' },
          spec: {
            type: 'NodePort',
            clusterIP: '10.96.0.10',
            ports: [{ name: 'http', port: 80, nodePort: 30080 }],
          },
        },
      ],
      endpointSlices: [
        {
          metadata: {
            name: 'web-1',
            namespace: 'default',
            labels: { 'kubernetes.io/service-name': 'web' },
          },
          addressType: 'IPv4',
          endpoints: [
            { addresses: ['10.244.1.5'], nodeName: 'node-a' },
            { addresses: ['10.244.2.5'] },
          ],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ],
    });
    const nftText = renderFullSync(ruleset);
    const t = trace(ruleset, {
      source: '203.0.113.9',
      destination: '192.168.0.10',
      protocol: 'tcp',
      port: 30080,
      from: 'outside',
    });
    const text = formatTrace(t);
    expect(nftText).toContain(
      'add element inet switchyard-proxy service-nodeports-v4 { tcp . 30080 : goto pick-nodeport-v4-2 }',
    );
    expect(healthChecks).toEqual([]);
    expect(skipped).toEqual([]);
    expect(text.split('\n').slice(0, 5)).toEqual([
      'packet tcp 203.0.113.9 -> 192.168.0.10:30080 from outside',
      '2 possible outcomes:',
      '  1. endpoint 10.244.1.5:8080 (masqueraded)',
      '       filter-prerouting: ct state new jump firewall-check',
      '       nat-prerouting: jump services',
    ]);
    expect(text).toContain('pick-nodeport-v4-2: jump mark-for-masquerade');
  });
});
