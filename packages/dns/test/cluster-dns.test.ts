import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterHandlerOptions, startClusterDns } from '../src/cluster-dns.js';
import { RCode, RRType } from '../src/constants.js';
import { DnsConfigError } from '../src/errors.js';
import { QueryHandler } from '../src/handler.js';
import { createMetrics, renderPrometheus } from '../src/metrics.js';
import { decodeMessage } from '../src/wire-decode.js';
import { Zone } from '../src/zone.js';
import { FakeUpstream } from './fake-upstream.js';
import { dig, query, udpAsk } from './net-helpers.js';

describe('startClusterDns', { timeout: 20_000 }, () => {
  it('serves what informers feed it once synced, and forwards the rest through a capped cache', async () => {
    const up = await new FakeUpstream().start();
    const dns = await startClusterDns({
      host: '127.0.0.1',
      port: 0,
      ttl: 30,
      upstreams: [{ host: '127.0.0.1', port: up.port }],
      cacheTtl: 10,
    });
    try {
      const port = dns.server.port;
      // Objects as an informer delivers them (extra fields and all).
      dns.zone.upsertNamespace({ metadata: { name: 'default' } });
      dns.zone.upsertService({
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.1',
          clusterIPs: ['10.96.0.1'],
          ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
        },
      });
      expect(
        (await udpAsk(port, query('kubernetes.default.svc.cluster.local', RRType.A))).rcode,
      ).toBe(RCode.SERVFAIL);
      dns.zone.markSynced();
      expect(await dig(port, '+short', 'kubernetes.default.svc.cluster.local')).toBe('10.96.0.1\n');
      expect(
        await dig(port, '+short', '_https._tcp.kubernetes.default.svc.cluster.local', 'SRV'),
      ).toBe('0 100 443 kubernetes.default.svc.cluster.local.\n');
      const first = await udpAsk(port, query('example.com', RRType.A));
      // The upstream says 60; cacheTtl 10 caps the reply to the miss as well (CoreDNS `cache`).
      expect(first.answers[0]).toMatchObject({ ttl: 10, address: '93.184.216.34' });
      const cached = await udpAsk(port, query('example.com', RRType.A));
      expect(cached.answers[0]?.ttl).toBeLessThanOrEqual(10);
      expect(up.seen.get('example.com')).toBe(1);
      expect(renderPrometheus(dns.metrics)).toMatch(
        /^coredns_cache_hits_total\{server="dns:\/\/:53",type="success"\} 1$/m,
      );
    } finally {
      await dns.close();
      await up.close();
    }
  });

  it('takes its upstreams from resolv.conf', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-dns-'));
    await writeFile(join(dir, 'resolv.conf'), '# test\nnameserver 127.83.0.1\n');
    const dns = await startClusterDns({
      host: '127.0.0.1',
      port: 0,
      resolvConf: join(dir, 'resolv.conf'),
      upstreamTimeoutMs: 100,
      upstreamDeadlineMs: 100,
    });
    try {
      dns.zone.markSynced();
      // Nothing listens there: each try is refused at once, and we stop after two.
      const r = await udpAsk(dns.server.port, query('example.org', RRType.A));
      expect(r.rcode).toBe(RCode.SERVFAIL);
      expect(dns.metrics.forwardRequests.get({ to: '127.83.0.1:53' })).toBe(2);
    } finally {
      await dns.close();
      await rm(dir, { recursive: true });
    }
  });

  it('reconfigures under running sockets: new TTL, zone settings and upstreams; a bad config changes nothing', async () => {
    const up = await new FakeUpstream().start();
    const dns = await startClusterDns({ host: '127.0.0.1', port: 0, ttl: 30, upstreams: [] });
    try {
      const port = dns.server.port;
      dns.zone.upsertService({
        metadata: { name: 'web', namespace: 'default' },
        spec: { clusterIPs: ['10.96.0.20'] },
      });
      dns.zone.markSynced();
      const web = (): Promise<string> =>
        dig(port, '+noall', '+answer', 'web.default.svc.cluster.local');
      expect(await web()).toMatch(/\s30\s+IN\s+A\s+10\.96\.0\.20/);
      expect((await udpAsk(port, query('example.com', RRType.A))).rcode).toBe(RCode.REFUSED);
      const before = dns.resolver;

      await dns.reconfigure({ ttl: 7, upstreams: [{ host: '127.0.0.1', port: up.port }] });
      expect(dns.resolver).not.toBe(before);
      expect(await web()).toMatch(/\s7\s+IN\s+A\s+10\.96\.0\.20/);
      const forwarded = await udpAsk(port, query('example.com', RRType.A));
      expect(forwarded.answers[0]).toMatchObject({ address: '93.184.216.34' });

      await expect(dns.reconfigure({ ttl: -1 })).rejects.toThrow(DnsConfigError);
      await expect(dns.reconfigure({ zone: 'a..b' })).rejects.toThrow(DnsConfigError);
      expect(await web()).toMatch(/\s7\s+IN\s+A\s+10\.96\.0\.20/);

      // Settings left out keep their values: only the zone name changes here.
      await dns.reconfigure({ zone: 'example.internal' });
      expect(await dig(port, '+short', 'web.default.svc.example.internal')).toBe('10.96.0.20\n');
      expect(await dig(port, '+noall', '+answer', 'web.default.svc.example.internal')).toMatch(
        /\s7\s+IN\s+A/,
      );
      // cluster.local is no longer ours: it goes to the upstream, which answers everything.
      expect(await dig(port, '+short', 'web.default.svc.cluster.local')).toBe('192.0.2.1\n');
    } finally {
      await dns.close();
      await up.close();
    }
  });

  it('clusterHandlerOptions: drops upstreams at our nameserver IPs, forwards uncached with cacheTtl 0', async () => {
    const up = await new FakeUpstream().start();
    try {
      const zone = new Zone();
      const metrics = createMetrics();
      const warnings: unknown[] = [];
      const options = await clusterHandlerOptions(
        {
          upstreams: [
            { host: '10.0.0.53', port: 53 },
            { host: '127.0.0.1', port: up.port },
          ],
          nameserverIps: ['10.0.0.53'],
          cacheTtl: 0,
          log: (level, _msg, fields) => level === 'warn' && warnings.push(fields?.upstream),
        },
        { zone, metrics, host: '0.0.0.0', port: 53 },
      );
      expect(warnings).toEqual([{ host: '10.0.0.53', port: 53 }]);
      const handler = new QueryHandler(options);
      for (let i = 0; i < 3; i++) {
        const reply = decodeMessage(
          (await handler.handle(query('nocache.example', RRType.A), {
            proto: 'udp',
            family: 4,
          })) as Buffer,
        );
        expect(reply.answers[0]).toMatchObject({ ttl: 60, address: '192.0.2.1' });
      }
      expect(up.seen.get('nocache.example')).toBe(3);
      expect(metrics.forwardRequests.get({ to: '10.0.0.53:53' })).toBe(0);
    } finally {
      await up.close();
    }
  });

  it('drops an upstream that is the server itself, instead of looping', async () => {
    const up = await new FakeUpstream().start();
    const port = await freePort();
    const warnings: unknown[] = [];
    const dns = await startClusterDns({
      host: '127.0.0.1',
      port,
      upstreams: [
        { host: '127.0.0.1', port },
        { host: '127.0.0.1', port: up.port },
      ],
      log: (level, _msg, fields) => level === 'warn' && warnings.push(fields?.upstream),
    });
    try {
      dns.zone.markSynced();
      for (let i = 0; i < 4; i++) {
        const r = await udpAsk(port, query(`self${i}.example`, RRType.A));
        expect(r.answers[0]).toMatchObject({ address: '192.0.2.1' });
      }
      expect(dns.metrics.forwardRequests.get({ to: `127.0.0.1:${port}` })).toBe(0);
      expect(warnings).toEqual([{ host: '127.0.0.1', port }]);
    } finally {
      await dns.close();
      await up.close();
    }
  });
});

/** A port free on 127.0.0.1 for UDP and TCP right now (bound, read, released). */
async function freePort(): Promise<number> {
  for (;;) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const tcp = createServer();
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    if (ok) {
      await new Promise<void>((r) => tcp.close(() => r()));
      return port;
    }
  }
}
