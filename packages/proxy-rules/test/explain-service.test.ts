import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { TraceError } from '../src/errors.js';
import { explainService } from '../src/explain.js';
import { ep, model, service, slice } from './fixtures.js';

describe('explainService', () => {
  const m = model(
    [
      service('web', {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10', 'fd00:96::10'],
        externalIPs: ['203.0.113.7'],
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      }),
    ],
    [slice('web', [ep('10.244.1.5')]), slice('web', [ep('fd00:244::5')], { family: 'IPv6' })],
  );
  const c = compile(m);

  it('traces every address of the service: ClusterIPs, external IPs and the NodePort', () => {
    const text = explainService(c.ruleset, c.servicePorts, 'default', 'web', {
      source: { ipv4: '172.16.0.9', ipv6: '2001:db8::9' },
      from: 'outside',
    });
    const headers = text.split('\n').filter((l) => l.startsWith('packet '));
    expect(headers).toEqual([
      'packet tcp 172.16.0.9 -> 10.96.0.10:80 from outside',
      'packet tcp 172.16.0.9 -> 203.0.113.7:80 from outside',
      'packet tcp 172.16.0.9 -> 192.168.0.10:30080 from outside',
      'packet tcp 2001:db8::9 -> [fd00:96::10]:80 from outside',
      'packet tcp 2001:db8::9 -> [fd00:192::10]:30080 from outside',
    ]);
    expect(text).toContain('1. endpoint 10.244.1.5:8080 (masqueraded)');
    expect(text).toContain('1. endpoint [fd00:244::5]:8080 (masqueraded)');
  });

  it('skips families without a source and refuses unknown services', () => {
    const v4 = explainService(c.ruleset, c.servicePorts, 'default', 'web', {
      source: { ipv4: '10.244.3.3' },
      from: 'pod',
    });
    expect(v4).not.toContain('fd00');
    expect(() =>
      explainService(c.ruleset, c.servicePorts, 'default', 'nope', {
        source: { ipv4: '10.244.3.3' },
        from: 'pod',
      }),
    ).toThrow(TraceError);
  });
});
