import { describe, expect, it } from 'vitest';
import { affinitySetName, endpointChainName, serviceChainName } from '../src/chain-names.js';
import { compile } from '../src/compile.js';
import { ModelError, TraceError } from '../src/errors.js';
import { canonicalIp, parseCidr } from '../src/ip.js';
import { trace } from '../src/trace.js';
import { NODE, ep, model, outcomes, pod, service, slice } from './fixtures.js';

describe('bad input', () => {
  it('an invalid node is a ModelError naming the field, nothing is generated', () => {
    const bad = { ...NODE, clusterCIDRs: ['10.244.0.0/16', '10.300.0.0/16'] };
    expect(() => compile(model([], [], bad))).toThrow(ModelError);
    expect(() => compile(model([], [], bad))).toThrow(/node\.clusterCIDRs\[1\]/);
    expect(() => compile(model([], [], { ...NODE, addresses: ['nope'] }))).toThrow(
      /node\.addresses\[0\]/,
    );
    expect(() => compile(model([], []), { table: 'bad table' })).toThrow(ModelError);
    expect(() => compile(model([], []), { masqueradeMark: 3 })).toThrow(/options\.masqueradeMark/);
  });

  it('an invalid service is skipped and reported; the others still work', () => {
    const m = model(
      [
        service('bad-ip', { clusterIP: '10.96.0.999' }),
        service('bad-range', {
          type: 'LoadBalancer',
          clusterIP: '10.96.0.2',
          loadBalancerSourceRanges: ['x/8'],
        }),
        service('bad-port', { clusterIP: '10.96.0.3', ports: [{ name: 'http', port: 70000 }] }),
        service('good', { clusterIP: '10.96.0.4' }),
      ],
      [slice('good', [ep('10.244.1.5')])],
    );
    const c = compile(m);
    expect(c.skipped.map((s) => s.name)).toEqual(['bad-ip', 'bad-range', 'bad-port']);
    expect(c.skipped[0]!.reason).toMatch(/invalid IP address "10\.96\.0\.999"/);
    expect(outcomes(m, pod('10.244.3.3', '10.96.0.4', 80))).toEqual(['10.244.1.5:8080']);
  });

  it('source ranges with host bits set are normalised rather than rejected by nft', () => {
    expect(parseCidr('10.1.2.3/8')?.text).toBe('10.0.0.0/8');
    expect(parseCidr('fd00:1:2::5/32')?.text).toBe('fd00:1::/32');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('the tracer rejects packets it cannot walk', () => {
    const { ruleset } = compile(model([], []));
    const p = pod('10.244.3.3', '10.96.0.1', 80);
    expect(() => trace(ruleset, { ...p, destination: 'fd00::1' })).toThrow(TraceError);
    expect(() => trace(ruleset, { ...p, port: 0 })).toThrow(/invalid port/);
    expect(() => trace(ruleset, { ...p, protocol: 'icmp' as 'tcp' })).toThrow(/unknown protocol/);
    expect(() => trace(ruleset, { ...p, from: 'moon' as 'pod' })).toThrow(/from must be/);
  });

  it('the tracer fails on a rule pointing at a chain that does not exist', () => {
    const { ruleset } = compile(
      model([service('web', { clusterIP: '10.96.0.1' })], [slice('web', [ep('10.244.1.5')])]),
    );
    const svcChain = [...ruleset.chains.values()].find((c) => c.name.startsWith('pick-'))!;
    svcChain.rules = [
      { matches: [], action: { kind: 'verdict', verdict: { kind: 'goto', chain: 'missing' } } },
    ];
    expect(() => trace(ruleset, pod('10.244.3.3', '10.96.0.1', 80))).toThrow(
      /unknown chain missing/,
    );
  });
});

describe('names', () => {
  it('chain names are stable, readable and differ per family and endpoint', () => {
    const a = serviceChainName('service', 'ns/web/tcp/http', 'ipv4');
    expect(a).toBe(serviceChainName('service', 'ns/web/tcp/http', 'ipv4'));
    expect(a).toMatch(/^service-[A-Z2-7]{8}-ns\/web\/tcp\/http$/);
    expect(serviceChainName('service', 'ns/web/tcp/http', 'ipv6')).not.toBe(a);
    expect(endpointChainName('ns/web/tcp/http', 'ipv6', 'fd00::1', 80)).toMatch(/__fd00\.\.1\/80$/);
    expect(affinitySetName('ns/web/tcp/http', 'ipv4', '10.0.0.1', 80)).toMatch(/^affinity-/);
    const long = serviceChainName(
      'service',
      `${'n'.repeat(63)}/${'s'.repeat(63)}/tcp/${'p'.repeat(63)}`,
      'ipv4',
    );
    expect(long.length).toBeLessThanOrEqual(240);
  });

  it('IPv6 addresses compare in canonical form', () => {
    expect(canonicalIp('FD00:0:0::0001')).toBe('fd00::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
  });
});
