import { describe, expect, it } from 'vitest';
import { RCode, RRType } from '../src/constants.js';
import { DnsConfigError, ZoneInputError } from '../src/errors.js';
import { Forwarder } from '../src/forwarder.js';
import { Resolver, type ResolverOptions } from '../src/resolver.js';
import { Zone } from '../src/zone.js';
import { fixtureZone, pod, service, slice } from './fixtures.js';
import { shown, type Shown } from './show.js';

const SOA = 'cluster.local SOA ns.dns.cluster.local hostmaster.cluster.local 5';
const T = RRType;

function resolver(
  opts: ResolverOptions = {},
  zone = fixtureZone(),
): (name: string, type: number) => Shown | undefined {
  const r = new Resolver(zone, opts);
  return (name, type) => {
    const res = r.resolve({ name, type, class: 1 });
    return res && shown(res);
  };
}

const ask = resolver();
const nx = { rcode: 'NXDOMAIN', answers: [], authorities: [SOA], additionals: [] };
const nodata = { rcode: 'NOERROR', answers: [], authorities: [SOA], additionals: [] };

describe('records table', () => {
  it('dns-version.<zone> TXT is "1.1.0"', () => {
    expect(ask('dns-version.cluster.local', T.TXT)?.answers).toEqual([
      'dns-version.cluster.local TXT "1.1.0"',
    ]);
  });

  it('a ClusterIP service answers its ClusterIP, A for IPv4 and AAAA for IPv6, even without endpoints', () => {
    expect(ask('svc1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'svc1.testns.svc.cluster.local A 10.0.0.1',
    ]);
    expect(ask('svcempty.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'svcempty.testns.svc.cluster.local A 10.0.0.2',
    ]);
    expect(ask('svc6.testns.svc.cluster.local', T.AAAA)?.answers).toEqual([
      'svc6.testns.svc.cluster.local AAAA 1234:abcd::1',
    ]);
    expect(ask('dual.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'dual.testns.svc.cluster.local A 10.0.0.3',
    ]);
    expect(ask('dual.testns.svc.cluster.local', T.AAAA)?.answers).toEqual([
      'dual.testns.svc.cluster.local AAAA 10::3',
    ]);
  });

  it('SRV for a named port of a ClusterIP service targets the service, with its address in Additional', () => {
    expect(ask('_http._tcp.svc1.testns.svc.cluster.local', T.SRV)).toEqual({
      rcode: 'NOERROR',
      answers: [
        '_http._tcp.svc1.testns.svc.cluster.local SRV 0 100 80 svc1.testns.svc.cluster.local',
      ],
      authorities: [],
      additionals: ['svc1.testns.svc.cluster.local A 10.0.0.1'],
    });
    expect(ask('_http._tcp.dual.testns.svc.cluster.local', T.SRV)?.additionals).toEqual([
      'dual.testns.svc.cluster.local A 10.0.0.3',
      'dual.testns.svc.cluster.local AAAA 10::3',
    ]);
    // Unknown port name or protocol: the name does not exist.
    expect(ask('_https._tcp.svc1.testns.svc.cluster.local', T.SRV)).toEqual(nx);
    expect(ask('_http._udp.svc1.testns.svc.cluster.local', T.SRV)).toEqual(nx);
  });

  it('PTR of a ClusterIP names the service (IPv4 and full-nibble IPv6)', () => {
    expect(ask('1.0.0.10.in-addr.arpa', T.PTR)?.answers).toEqual([
      '1.0.0.10.in-addr.arpa PTR svc1.testns.svc.cluster.local',
    ]);
    const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa';
    expect(ask(v6, T.PTR)?.answers).toEqual([`${v6} PTR svc6.testns.svc.cluster.local`]);
  });

  it('a headless service answers one record per ready endpoint; NXDOMAIN when none is ready', () => {
    expect(ask('hdls1.testns.svc.cluster.local', T.A)?.answers).toEqual(
      ['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map(
        (ip) => `hdls1.testns.svc.cluster.local A ${ip}`,
      ),
    );
    expect(ask('hdls1.testns.svc.cluster.local', T.AAAA)?.answers).toEqual(
      ['5678:abcd::1', '5678:abcd::2'].map((ip) => `hdls1.testns.svc.cluster.local AAAA ${ip}`),
    );
    expect(ask('hdlsunready.testns.svc.cluster.local', T.A)).toEqual(nx);
    expect(ask('hdlsempty.testns.svc.cluster.local', T.A)).toEqual(nx);
    // publishNotReadyAddresses makes every endpoint count as ready.
    expect(ask('hdlspublish.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'hdlspublish.testns.svc.cluster.local A 172.0.2.1',
    ]);
  });

  it('<hostname>.<svc> answers the endpoint IPs: its hostname, else the generated dashed-address label', () => {
    expect(ask('dup-name.hdls1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'dup-name.hdls1.testns.svc.cluster.local A 172.0.0.4',
      'dup-name.hdls1.testns.svc.cluster.local A 172.0.0.5',
    ]);
    expect(ask('172-0-0-2.hdls1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      '172-0-0-2.hdls1.testns.svc.cluster.local A 172.0.0.2',
    ]);
    expect(ask('5678-abcd--1.hdls1.testns.svc.cluster.local', T.AAAA)?.answers).toEqual([
      '5678-abcd--1.hdls1.testns.svc.cluster.local AAAA 5678:abcd::1',
    ]);
    expect(ask('not-ready.hdls1.testns.svc.cluster.local', T.A)).toEqual(nx);
    expect(ask('bogus.hdls1.testns.svc.cluster.local', T.A)).toEqual(nx);
  });

  it('headless SRV: one per ready endpoint and named port, targeting the endpoint hostname', () => {
    const res = ask('_http._tcp.hdls1.testns.svc.cluster.local', T.SRV);
    const targets = ['172-0-0-2', '172-0-0-3', 'dup-name', '5678-abcd--1', '5678-abcd--2'];
    expect(res?.answers).toEqual(
      targets.map(
        (h) =>
          `_http._tcp.hdls1.testns.svc.cluster.local SRV 0 20 80 ${h}.hdls1.testns.svc.cluster.local`,
      ),
    );
    expect(res?.additionals).toEqual([
      '172-0-0-2.hdls1.testns.svc.cluster.local A 172.0.0.2',
      '172-0-0-3.hdls1.testns.svc.cluster.local A 172.0.0.3',
      'dup-name.hdls1.testns.svc.cluster.local A 172.0.0.4',
      'dup-name.hdls1.testns.svc.cluster.local A 172.0.0.5',
      '5678-abcd--1.hdls1.testns.svc.cluster.local AAAA 5678:abcd::1',
      '5678-abcd--2.hdls1.testns.svc.cluster.local AAAA 5678:abcd::2',
    ]);
  });

  it('PTR of an endpoint address names <hostname>.<svc>; not-ready endpoints have none', () => {
    expect(ask('4.0.0.172.in-addr.arpa', T.PTR)?.answers).toEqual([
      '4.0.0.172.in-addr.arpa PTR dup-name.hdls1.testns.svc.cluster.local',
    ]);
    expect(ask('2.0.0.172.in-addr.arpa', T.PTR)?.answers).toEqual([
      '2.0.0.172.in-addr.arpa PTR 172-0-0-2.hdls1.testns.svc.cluster.local',
    ]);
    // Unknown addresses (and not-ready endpoints) are not ours: they fall through upstream.
    expect(ask('9.0.0.172.in-addr.arpa', T.PTR)).toBeUndefined();
    expect(ask('8.8.8.8.in-addr.arpa', T.PTR)).toBeUndefined();
  });

  it('ExternalName answers a CNAME; in-zone targets are followed, outside ones handed back to chase', () => {
    expect(ask('external.testns.svc.cluster.local', T.CNAME)?.answers).toEqual([
      'external.testns.svc.cluster.local CNAME ext.interwebs.test',
    ]);
    const r = new Resolver(fixtureZone());
    const res = r.resolve({ name: 'external.testns.svc.cluster.local', type: T.A, class: 1 });
    expect(res?.chase).toEqual({ name: 'ext.interwebs.test', type: T.A, class: 1 });
    expect(ask('ext-to-svc.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'ext-to-svc.testns.svc.cluster.local CNAME svc1.testns.svc.cluster.local',
      'svc1.testns.svc.cluster.local A 10.0.0.1',
    ]);
  });

  it('ExternalName loops stop after a bounded number of hops', () => {
    const z = fixtureZone();
    z.upsertService(
      service('testns', 'loop-a', {
        type: 'ExternalName',
        externalName: 'loop-b.testns.svc.cluster.local',
      }),
    );
    z.upsertService(
      service('testns', 'loop-b', {
        type: 'ExternalName',
        externalName: 'loop-a.testns.svc.cluster.local',
      }),
    );
    const res = resolver({}, z)('loop-a.testns.svc.cluster.local', T.A);
    expect(res?.rcode).toBe('NOERROR');
    expect(res?.answers.length).toBe(9);
  });

  it('pods insecure: the address from the name when the namespace exists', () => {
    expect(ask('10-244-9-9.testns.pod.cluster.local', T.A)?.answers).toEqual([
      '10-244-9-9.testns.pod.cluster.local A 10.244.9.9',
    ]);
    expect(ask('fd00--9.testns.pod.cluster.local', T.AAAA)?.answers).toEqual([
      'fd00--9.testns.pod.cluster.local AAAA fd00::9',
    ]);
    expect(ask('10-244-9-9.nons.pod.cluster.local', T.A)).toEqual(nx);
    expect(ask('blah.testns.pod.cluster.local', T.A)).toEqual(nx);
    expect(ask('10-244-9-9.testns.pod.cluster.local', T.AAAA)).toEqual(nodata);
  });

  it('pods verified: only an address some pod in that namespace holds; disabled: never', () => {
    const verified = resolver({ podMode: 'verified' });
    expect(verified('10-244-1-5.testns.pod.cluster.local', T.A)?.answers).toEqual([
      '10-244-1-5.testns.pod.cluster.local A 10.244.1.5',
    ]);
    expect(verified('10-244-9-9.testns.pod.cluster.local', T.A)).toEqual(nx);
    expect(resolver({ podMode: 'disabled' })('10-244-1-5.testns.pod.cluster.local', T.A)).toEqual(
      nx,
    );
  });
});

describe('response code table', () => {
  it('unknown service or namespace, bogus labels and names under an ExternalName are NXDOMAIN + SOA', () => {
    for (const name of [
      'svc0.testns.svc.cluster.local',
      'svc1.nons.svc.cluster.local',
      'foo.cluster.local',
      'a.b.c.d.e.f.svc.cluster.local',
      'x.svc1.testns.svc.cluster.local.example',
      'endpoint.external.testns.svc.cluster.local',
      '_http._tcp.external.testns.svc.cluster.local',
      'testns.pod.cluster.local',
    ]) {
      if (name.endsWith('.example')) expect(ask(name, T.A)).toBeUndefined();
      else expect(ask(name, T.A), name).toEqual(nx);
    }
  });

  it('an existing name without the asked type is NODATA: NOERROR, no answer, SOA in authority', () => {
    expect(ask('svc1.testns.svc.cluster.local', T.AAAA)).toEqual(nodata);
    expect(ask('svc1.testns.svc.cluster.local', T.TXT)).toEqual(nodata);
    expect(ask('svc6.testns.svc.cluster.local', T.A)).toEqual(nodata);
    expect(ask('_http._tcp.svc1.testns.svc.cluster.local', T.A)).toEqual(nodata);
    expect(ask('dns-version.cluster.local', T.A)).toEqual(nodata);
  });

  it('svc.<zone>, pod.<zone> and <ns>.svc.<zone> are NOERROR with no answer', () => {
    expect(ask('svc.cluster.local', T.A)).toEqual(nodata);
    expect(ask('pod.cluster.local', T.A)).toEqual(nodata);
    expect(ask('testns.svc.cluster.local', T.A)).toEqual(nodata);
    expect(ask('testns.svc.cluster.local', T.NS)).toEqual(nodata);
  });

  it('AXFR and IXFR are REFUSED, and so is any class but IN', () => {
    expect(ask('cluster.local', T.AXFR)?.rcode).toBe('REFUSED');
    expect(ask('cluster.local', T.IXFR)?.rcode).toBe('REFUSED');
    const r = new Resolver(fixtureZone());
    expect(r.resolve({ name: 'svc1.testns.svc.cluster.local', type: T.A, class: 3 })?.rcode).toBe(
      RCode.REFUSED,
    );
  });

  it('SERVFAIL before the first sync, for the zone and the reverse zones', () => {
    const zone = new Zone();
    zone.upsertService(service('testns', 'svc1', { clusterIPs: ['10.0.0.1'] }));
    const early = resolver({}, zone);
    expect(early('svc1.testns.svc.cluster.local', T.A)?.rcode).toBe('SERVFAIL');
    expect(early('1.0.0.10.in-addr.arpa', T.PTR)?.rcode).toBe('SERVFAIL');
    expect(early('example.com', T.A)).toBeUndefined();
    zone.markSynced();
    expect(early('svc1.testns.svc.cluster.local', T.A)?.rcode).toBe('NOERROR');
  });

  it('apex: SOA answers, NS names ns.dns.<zone> with its configured addresses', () => {
    const r = resolver({ nameserverIps: ['10.96.0.10'] });
    expect(r('cluster.local', T.SOA)?.answers).toEqual([SOA]);
    expect(r('cluster.local', T.NS)).toMatchObject({
      answers: ['cluster.local NS ns.dns.cluster.local'],
      additionals: ['ns.dns.cluster.local A 10.96.0.10'],
    });
    expect(r('ns.dns.cluster.local', T.A)?.answers).toEqual(['ns.dns.cluster.local A 10.96.0.10']);
    expect(r('cluster.local', T.A)).toEqual(nodata);
  });
});

describe('names and options', () => {
  it('matches names case-insensitively and answers in the asked spelling', () => {
    expect(ask('SVC1.TestNS.Svc.Cluster.LOCAL.', T.A)?.answers).toEqual([
      'SVC1.TestNS.Svc.Cluster.LOCAL A 10.0.0.1',
    ]);
    expect(ask('DUP-NAME.hdls1.testns.svc.cluster.local', T.A)?.answers.length).toBe(2);
    expect(ask('_HTTP._TCP.svc1.testns.svc.cluster.local', T.SRV)?.answers.length).toBe(1);
  });

  it('serves a configured zone and TTL, and leaves the default zone to the upstream', () => {
    const z = new Zone();
    z.upsertService(service('prod', 'api', { clusterIPs: ['10.1.0.1'] }));
    z.markSynced();
    const r = new Resolver(z, { zone: 'Corp.Example.', ttl: 30 });
    const res = r.resolve({ name: 'api.prod.svc.corp.example', type: T.A, class: 1 });
    expect(res?.answers[0]).toMatchObject({ ttl: 30, address: '10.1.0.1' });
    const miss = r.resolve({ name: 'nope.prod.svc.corp.example', type: T.A, class: 1 });
    expect(miss?.authorities[0]).toMatchObject({
      name: 'corp.example',
      ttl: 30,
      soa: { minimum: 30, mname: 'ns.dns.corp.example' },
    });
    expect(r.resolve({ name: 'api.prod.svc.cluster.local', type: T.A, class: 1 })).toBeUndefined();
  });
});

describe('search-path edge cases (kubelet search list, e2e)', () => {
  it('answers a service whose name starts with a digit', () => {
    const z = fixtureZone();
    z.upsertService(service('testns', '1st-svc', { clusterIPs: ['10.0.0.77'] }));
    expect(resolver({}, z)('1st-svc.testns.svc.cluster.local', T.A)?.answers).toEqual([
      '1st-svc.testns.svc.cluster.local A 10.0.0.77',
    ]);
  });

  it('gives fast NXDOMAIN for names the search list glues onto the zone, underscores included', () => {
    for (const name of [
      'example.com.testns.svc.cluster.local',
      'example.com.svc.cluster.local',
      'example.com.cluster.local',
      'svc1.my_domain.testns.svc.cluster.local',
      'a_b.testns.svc.cluster.local',
    ])
      expect(ask(name, T.A), name).toEqual(nx);
    // An underscore search domain outside the zone is simply not ours.
    expect(ask('svc1.my_domain.example', T.A)).toBeUndefined();
  });
});

describe('options', () => {
  it('rejects bad options with DnsConfigError naming the option', () => {
    const z = new Zone();
    expect(() => new Resolver(z, { ttl: -1 })).toThrow(DnsConfigError);
    expect(() => new Resolver(z, { ttl: 1.5 })).toThrow(/ttl/);
    expect(() => new Resolver(z, { zone: '.' })).toThrow(/zone: the root zone/);
    expect(() => new Resolver(z, { zone: `${'x'.repeat(64)}.local` })).toThrow(/zone: .*63/);
    expect(() => new Resolver(z, { podMode: 'sometimes' as 'insecure' })).toThrow(/podMode/);
    expect(() => new Resolver(z, { nameserverIps: ['dns'] })).toThrow(/nameserverIps/);
    expect(() => new Forwarder({ upstreams: [] })).toThrow(DnsConfigError);
  });
});

describe('zone updates', () => {
  it('applies upserts and deletes per object', () => {
    const z = fixtureZone();
    const r = resolver({}, z);
    z.deleteService(service('testns', 'svc1', {}));
    expect(r('svc1.testns.svc.cluster.local', T.A)).toEqual(nx);
    expect(r('1.0.0.10.in-addr.arpa', T.PTR)).toBeUndefined();
    z.upsertService(service('testns', 'svc1', { clusterIPs: ['10.0.0.99'] }));
    expect(r('svc1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'svc1.testns.svc.cluster.local A 10.0.0.99',
    ]);
    z.upsertEndpointSlice(
      slice('testns', 'hdls1', 'hdls1-v4', 'IPv4', [{ addresses: ['172.0.0.7'] }]),
    );
    z.deleteEndpointSlice(slice('testns', 'hdls1', 'hdls1-v6', 'IPv6', []));
    expect(r('hdls1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'hdls1.testns.svc.cluster.local A 172.0.0.7',
    ]);
    expect(r('hdls1.testns.svc.cluster.local', T.AAAA)).toEqual(nodata);
    expect(r('2.0.0.172.in-addr.arpa', T.PTR)).toBeUndefined();
    z.deletePod(pod('testns', 'web-0', '10.244.1.5'));
    z.deleteNamespace({ metadata: { name: 'testns' } });
    // Services still live in testns, so the namespace still exists.
    expect(r('testns.svc.cluster.local', T.A)).toEqual(nodata);
  });

  it('drops a slice that loses its service-name label, and ignores unowned slices', () => {
    const z = fixtureZone();
    const r = resolver({}, z);
    const unowned = {
      metadata: { namespace: 'testns', name: 'hdls1-v4' },
      addressType: 'IPv4',
      endpoints: [],
    };
    z.upsertEndpointSlice(unowned);
    expect(r('hdls1.testns.svc.cluster.local', T.A)).toEqual(nodata);
    expect(r('dup-name.hdls1.testns.svc.cluster.local', T.A)).toEqual(nx);
    z.upsertEndpointSlice({ ...unowned, metadata: { namespace: 'testns', name: 'other' } });
    expect(r('hdls1.testns.svc.cluster.local', T.AAAA)?.answers.length).toBe(2);
  });

  it('publishes nothing for an ExternalName that is an address (as CoreDNS)', () => {
    const z = fixtureZone();
    z.upsertService(
      service('testns', 'ipname', { type: 'ExternalName', externalName: '192.0.2.7' }),
    );
    expect(resolver({}, z)('ipname.testns.svc.cluster.local', T.A)).toEqual(nx);
  });

  it('bumps the SOA serial on every change', () => {
    const z = fixtureZone();
    const before = z.serial;
    z.upsertService(service('testns', 'new', { clusterIPs: ['10.0.0.50'] }));
    expect(z.serial).toBeGreaterThan(before);
  });

  it('rejects objects missing what it needs with ZoneInputError and keeps the old state', () => {
    const z = fixtureZone();
    const r = resolver({}, z);
    expect(() => z.upsertService({ metadata: { name: 'x' } })).toThrow(ZoneInputError);
    expect(() => z.upsertService(service('testns', 'svc1', { clusterIPs: ['not-an-ip'] }))).toThrow(
      /spec.clusterIPs/,
    );
    expect(() => z.upsertService(service('testns', 'svc1', { type: 'ExternalName' }))).toThrow(
      /externalName/,
    );
    expect(() => z.upsertNamespace({})).toThrow(ZoneInputError);
    expect(r('svc1.testns.svc.cluster.local', T.A)?.answers).toEqual([
      'svc1.testns.svc.cluster.local A 10.0.0.1',
    ]);
  });
});
