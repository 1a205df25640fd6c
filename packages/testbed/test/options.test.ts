import { describe, expect, it } from 'vitest';
import { TestbedOptionError } from '../src/errors.js';
import { resolveOptions } from '../src/options.js';

describe('resolveOptions', () => {
  it('fills in kind-like defaults and plans the underlay addresses', () => {
    const o = resolveOptions({ nodes: 3 });
    expect(o.name).toBe('main');
    expect(o.stateDir).toBe('/run/switchyard-testbed/main');
    expect(o.underlay).toBe('172.31.255.0/24');
    expect(o.labIP).toBe('172.31.255.1');
    expect(o.nodeIPs).toEqual(['172.31.255.2', '172.31.255.3', '172.31.255.4']);
    expect(o.clusterCidr).toBe('10.244.0.0/16');
    expect(o.serviceCidr).toBe('10.96.0.0/16');
    expect(o.kubernetesServiceIP).toBe('10.96.0.1');
    expect(o.clusterDNS).toBe('10.96.0.10');
    expect(o.cni).toBe('switchyard');
    expect(o.components).toEqual([]);
    expect(resolveOptions({ cni: 'reference-bridge' }).cni).toBe('reference-bridge');
  });

  it('keeps the components asked for once each, in install order', () => {
    const o = resolveOptions({ components: ['ingress', 'dns', 'proxy', 'dns'] });
    expect(o.components).toEqual(['proxy', 'dns', 'ingress']);
    expect(resolveOptions({ cni: 'reference-bridge', components: ['dns'] }).components).toEqual([
      'dns',
    ]);
    expect(resolveOptions({ cni: 'external' }).components).toEqual([]);
  });

  it('derives addresses from a custom underlay and service range', () => {
    const o = resolveOptions({
      name: 'e2e1',
      underlay: '10.10.0.16/28',
      serviceCidr: '10.97.0.0/24',
      nodes: 12,
    });
    expect(o.labIP).toBe('10.10.0.17');
    expect(o.nodeIPs.at(-1)).toBe('10.10.0.29');
    expect(o.clusterDNS).toBe('10.97.0.10');
  });

  it.each([
    [{ name: 'Bad-Name' }, 'name'],
    [{ name: 'waytoolongname1' }, 'name'],
    [{ nodes: 0 }, 'nodes'],
    [{ nodes: 2.5 }, 'nodes'],
    [{ nodes: 21 }, 'nodes'],
    [{ underlay: '172.31.255.1/24' }, 'underlay'],
    [{ underlay: '172.31.255.0/29' }, 'underlay'],
    [{ underlay: '10.10.0.16/28', nodes: 14 }, 'underlay'],
    [{ underlay: 'nonsense' }, 'underlay'],
    [{ underlay: '10.244.5.0/24' }, 'clusterCidr'],
    [{ serviceCidr: '10.244.0.0/16' }, 'serviceCidr'],
    [{ clusterCidr: '10.200.0.0/24' }, 'clusterCidr'],
    [{ stateRoot: 'relative/dir' }, 'stateRoot'],
    [{ cni: 'flannel' as never }, 'cni'],
    [{ components: ['coredns' as never] }, 'components'],
    [{ components: 'dns' as never }, 'components'],
    [{ cni: 'external' as const, components: ['dns' as const] }, 'components'],
  ])('rejects %j naming the %s option', (input, option) => {
    let err: unknown;
    try {
      resolveOptions(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TestbedOptionError);
    expect((err as TestbedOptionError).option).toBe(option);
  });
});
