import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderHosts, renderResolvConf } from '../src/node-runtime/resolv-conf.js';

const ctx = {
  clusterDNS: '10.96.0.10',
  clusterDomain: 'cluster.local',
  hostResolvConf: 'nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n',
};

function pod(spec: Partial<V1PodSpec>, namespace = 'shop'): V1Pod {
  return { metadata: { name: 'p', namespace }, spec: { containers: [], ...spec } };
}

describe('pod resolv.conf', () => {
  it('ClusterFirst points at the cluster DNS with the namespace search path and ndots:5', () => {
    expect(renderResolvConf(pod({}), ctx)).toBe(
      'nameserver 10.96.0.10\n' +
        'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n' +
        'options ndots:5\n',
    );
  });

  it('a hostNetwork pod with ClusterFirst keeps the node file; ClusterFirstWithHostNet does not', () => {
    expect(renderResolvConf(pod({ hostNetwork: true }), ctx)).toBeUndefined();
    expect(
      renderResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), ctx),
    ).toMatch(/^nameserver 10\.96\.0\.10\n/);
  });

  it('None uses only dnsConfig; options override by name', () => {
    const text = renderResolvConf(
      pod({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['a.example'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      }),
      ctx,
    );
    expect(text).toBe('nameserver 1.1.1.1\nsearch a.example\noptions ndots:2 edns0\n');
  });

  it('ClusterFirst merges dnsConfig: extra nameserver, replaced ndots', () => {
    const text = renderResolvConf(
      pod({ dnsConfig: { nameservers: ['9.9.9.9'], options: [{ name: 'ndots', value: '1' }] } }),
      ctx,
    );
    expect(text).toContain('nameserver 10.96.0.10\nnameserver 9.9.9.9\n');
    expect(text).toContain('options ndots:1\n');
  });

  it('Default with dnsConfig starts from the node file', () => {
    const text = renderResolvConf(
      pod({ dnsPolicy: 'Default', dnsConfig: { searches: ['x.example'] } }),
      ctx,
    );
    expect(text).toBe('nameserver 192.0.2.53\nsearch corp.example x.example\n');
  });

  it('hosts maps the pod IP to its hostname', () => {
    const web = pod({}, 'shop');
    web.metadata!.name = 'web-0';
    expect(renderHosts(web, '10.244.1.7', 'cluster.local')).toMatch(/\n10\.244\.1\.7\tweb-0\n$/);
    expect(renderHosts(web, undefined, 'cluster.local')).not.toContain('web-0');
  });

  it('hosts has the FQDN for a hostname + subdomain, and hostAliases', () => {
    const p = pod({
      hostname: 'db-1',
      subdomain: 'dbs',
      hostAliases: [{ ip: '192.0.2.9', hostnames: ['a.example', 'b.example'] }],
    });
    expect(renderHosts(p, '10.244.1.8', 'cluster.local')).toMatch(
      /\n10\.244\.1\.8\tdb-1\.dbs\.shop\.svc\.cluster\.local\tdb-1\n192\.0\.2\.9\ta\.example\tb\.example\n$/,
    );
  });
});
