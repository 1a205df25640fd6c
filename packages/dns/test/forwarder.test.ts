import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsCache } from '../src/cache.js';
import { RCode, RRType } from '../src/constants.js';
import { Forwarder } from '../src/forwarder.js';
import { createMetrics } from '../src/metrics.js';
import { Zone } from '../src/zone.js';
import { FakeUpstream, deadUpstream } from './fake-upstream.js';
import { fixtureZone } from './fixtures.js';
import {
  dig,
  query,
  startTestServer,
  tcpExchange,
  udpAsk,
  type TestServer,
} from './net-helpers.js';

const q = (name: string, type: number = RRType.A) => ({ name, type, class: 1 });

let up: FakeUpstream;
let up2: FakeUpstream;
let dead: { port: number; close(): Promise<void> };

beforeAll(async () => {
  up = await new FakeUpstream().start();
  up2 = await new FakeUpstream().start();
  dead = await deadUpstream();
});

afterAll(async () => {
  await Promise.all([up.close(), up2.close(), dead.close()]);
});

describe('forwarding through the server', { timeout: 20_000 }, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(fixtureZone(), {
      forwarder: { upstreams: [{ host: '127.0.0.1', port: up.port }] },
    });
  });
  afterAll(() => t.close());

  it('answers outside names from the upstream, then from the cache', async () => {
    const first = await dig(t.server.port, 'example.com', 'A');
    expect(first).toMatch(/flags: qr rd ra;/); // recursive, not authoritative
    expect(first).toMatch(/^example\.com\.\s+60\s+IN\s+A\s+93\.184\.216\.34$/m);
    const second = await dig(t.server.port, '+tcp', 'EXAMPLE.com', 'A');
    expect(second).toMatch(/^EXAMPLE\.com\.\s+(60|59)\s+IN\s+A\s+93\.184\.216\.34$/m);
    expect(up.seen.get('example.com')).toBe(1);
    expect(t.metrics.cacheHits.get({ type: 'success' })).toBe(1);
    expect(t.metrics.forwardRequests.get({ to: `127.0.0.1:${up.port}` })).toBe(1);
  });

  it('caches NXDOMAIN for the SOA negative TTL', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await udpAsk(t.server.port, query('nx.example', RRType.A));
      expect(r.rcode).toBe(RCode.NXDOMAIN);
      expect(r.authorities[0]).toMatchObject({ type: RRType.SOA, name: 'example' });
    }
    expect(up.seen.get('nx.example')).toBe(1);
    expect(t.metrics.cacheHits.get({ type: 'denial' })).toBe(2);
  });

  it('retries a truncated upstream reply over TCP and serves the whole answer to a TCP client', async () => {
    const before = up.tcpQueries;
    const [r] = await tcpExchange(t.server.port, [query('big.example', RRType.A)], 1);
    expect(r?.answers.length).toBe(50);
    expect(up.tcpQueries).toBe(before + 1);
    // A UDP client without EDNS gets what fits, with TC.
    const udp = await udpAsk(t.server.port, query('big.example', RRType.A));
    expect(udp.flags.tc).toBe(true);
    expect(udp.answers.length).toBeLessThan(50);
  });

  it('follows an ExternalName to an outside name through the upstream', async () => {
    const out = await dig(t.server.port, 'external.testns.svc.cluster.local', 'A');
    expect(out).toMatch(
      /^external\.testns\.svc\.cluster\.local\.\s+5\s+IN\s+CNAME\s+ext\.interwebs\.test\.$/m,
    );
    expect(out).toMatch(/^ext\.interwebs\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.1$/m);
  });

  it('refuses zone transfers for outside names instead of forwarding them', async () => {
    const r = await udpAsk(t.server.port, query('example.net', RRType.AXFR));
    expect(r.rcode).toBe(RCode.REFUSED);
    expect(up.seen.get('example.net')).toBeUndefined();
  });

  it('falls through to the upstream for reverse names it does not know', async () => {
    const r = await udpAsk(t.server.port, query('4.3.2.1.in-addr.arpa', RRType.PTR));
    expect(r.rcode).toBe(RCode.NOERROR);
    expect(up.seen.get('4.3.2.1.in-addr.arpa')).toBe(1);
  });
});

describe('Forwarder', { timeout: 20_000 }, () => {
  it('rotates across upstreams', async () => {
    const f = new Forwarder({
      upstreams: [up, up2].map((u) => ({ host: '127.0.0.1', port: u.port })),
      cache: false,
    });
    const before = [up.udpQueries, up2.udpQueries];
    for (let i = 0; i < 10; i++)
      expect((await f.forward(q(`r${i}.example`))).rcode).toBe(RCode.NOERROR);
    expect(up.udpQueries - (before[0] ?? 0)).toBe(5);
    expect(up2.udpQueries - (before[1] ?? 0)).toBe(5);
  });

  it('forwards to an IPv6 upstream over UDP and, for a truncated reply, TCP', async () => {
    const v6 = await new FakeUpstream().start('::1');
    try {
      const metrics = createMetrics();
      const f = new Forwarder({ upstreams: [{ host: '::1', port: v6.port }], metrics });
      expect((await f.forward(q('example.com'))).answers[0]).toMatchObject({
        address: '93.184.216.34',
      });
      expect((await f.forward(q('big.example'))).answers.length).toBe(50);
      expect(v6.tcpQueries).toBe(1);
      expect(metrics.forwardRequests.get({ to: `[::1]:${v6.port}` })).toBe(2);
    } finally {
      await v6.close();
    }
  });

  it('moves on from a dead upstream after its timeout, then stops trying it first', async () => {
    const metrics = createMetrics();
    const f = new Forwarder({
      upstreams: [
        { host: '127.0.0.1', port: dead.port },
        { host: '127.0.0.1', port: up.port },
      ],
      timeoutMs: 400,
      cache: false,
      metrics,
    });
    const slowest: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = Date.now();
      const r = await f.forward(q(`d${i}.example`));
      slowest.push(Date.now() - started);
      expect(r.answers[0]).toMatchObject({ address: '192.0.2.1' });
    }
    expect(metrics.forwardResponses.get({ to: `127.0.0.1:${dead.port}`, rcode: 'error' })).toBe(3);
    // Once demoted, the dead upstream no longer costs a timeout.
    expect(Math.max(...slowest.slice(-3))).toBeLessThan(350);
  });

  it('answers SERVFAIL when every upstream is silent, within the deadline', async () => {
    const f = new Forwarder({
      upstreams: [{ host: '127.0.0.1', port: dead.port }],
      timeoutMs: 100,
      deadlineMs: 350,
    });
    const started = Date.now();
    expect((await f.forward(q('x.example'))).rcode).toBe(RCode.SERVFAIL);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('ignores a reply to a different question', async () => {
    const f = new Forwarder({
      upstreams: [{ host: '127.0.0.1', port: up.port }],
      timeoutMs: 100,
      deadlineMs: 300,
    });
    const r = await f.forward(q('wrong.example'));
    expect(r.rcode).toBe(RCode.SERVFAIL);
    expect(r.answers).toEqual([]);
  });

  it('treats an undecodable reply as a failed try', async () => {
    const metrics = createMetrics();
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }], metrics });
    expect((await f.forward(q('garbage.example'))).rcode).toBe(RCode.SERVFAIL);
    expect(metrics.forwardResponses.get({ to: `127.0.0.1:${up.port}`, rcode: 'error' })).toBe(2);
  });

  it('shares one upstream query among identical questions in flight', async () => {
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }] });
    const rs = await Promise.all(Array.from({ length: 5 }, () => f.forward(q('same.example'))));
    expect(rs.every((r) => r.rcode === RCode.NOERROR)).toBe(true);
    expect(up.seen.get('same.example')).toBe(1);
  });

  it('caps the TTLs of the reply to a miss as it caps cached ones (cache 30)', async () => {
    const cache = new DnsCache({ maxTtl: 30 });
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }], cache });
    const miss = await f.forward(q('capped.example'));
    expect(miss.source).toBe(`127.0.0.1:${up.port}`);
    expect(miss.answers.length).toBeGreaterThan(0);
    for (const rr of miss.answers) expect(rr.ttl).toBeLessThanOrEqual(30);
    const hit = await f.forward(q('capped.example'));
    expect(hit.source).toBe('cache');
    expect(hit.answers.map((rr) => rr.ttl)).toEqual(miss.answers.map((rr) => rr.ttl));
    expect(up.seen.get('capped.example')).toBe(1);
  });

  it('refuses beyond maxConcurrent upstream queries', async () => {
    const metrics = createMetrics();
    const f = new Forwarder({
      upstreams: [{ host: '127.0.0.1', port: dead.port }],
      timeoutMs: 200,
      deadlineMs: 200,
      maxConcurrent: 1,
      metrics,
    });
    const first = f.forward(q('a.example'));
    expect((await f.forward(q('b.example'))).rcode).toBe(RCode.REFUSED);
    expect((await first).rcode).toBe(RCode.SERVFAIL);
    expect(metrics.forwardConcurrentRejects.get({})).toBe(1);
  });
});

describe('a dead upstream', { timeout: 20_000 }, () => {
  it('does not delay cluster answers while forwarded queries hang', async () => {
    const zone = fixtureZone();
    const upstreams = [{ host: '127.0.0.1', port: dead.port }];
    const t = await startTestServer(zone, {
      forwarder: { upstreams, timeoutMs: 3000, deadlineMs: 3000 },
    });
    try {
      let settled = 0;
      const hanging = Array.from({ length: 20 }, (_, i) =>
        udpAsk(t.server.port, query(`hang${i}.example`, RRType.A, undefined, i), 6000).finally(
          () => settled++,
        ),
      );
      const started = Date.now();
      for (let i = 0; i < 50; i++) {
        const r = await udpAsk(
          t.server.port,
          query('svc1.testns.svc.cluster.local', RRType.A, undefined, 1000 + i),
        );
        expect(r.answers[0]).toMatchObject({ address: '10.0.0.1' });
      }
      // All 50 cluster answers came while every forwarded query was still waiting on the dead upstream.
      expect(Date.now() - started).toBeLessThan(2500);
      expect(settled).toBe(0);
      const ended = await Promise.all(hanging);
      expect(ended.map((r) => r.rcode)).toEqual(Array(20).fill(RCode.SERVFAIL));
    } finally {
      await t.close();
    }
  }, 15_000);

  it('closes cleanly while forwarded queries are still in flight', async () => {
    const upstreams = [{ host: '127.0.0.1', port: dead.port }];
    const t = await startTestServer(fixtureZone(), {
      forwarder: { upstreams, timeoutMs: 300, deadlineMs: 300 },
    });
    const udp = udpAsk(t.server.port, query('late.example', RRType.A), 800).catch((e: Error) => e);
    const tcp = tcpExchange(t.server.port, [query('late2.example', RRType.A)], 1, 800).catch(
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    await t.close();
    // The answers complete after close and must go nowhere, without an error escaping.
    await new Promise((r) => setTimeout(r, 400));
    expect(await udp).toBeInstanceOf(Error);
    expect(await tcp).toBeInstanceOf(Error);
  });

  it('before the first sync the cluster zone is SERVFAIL but forwarding already works', async () => {
    const t = await startTestServer(new Zone(), {
      forwarder: { upstreams: [{ host: '127.0.0.1', port: up.port }] },
    });
    try {
      expect(
        (await udpAsk(t.server.port, query('svc1.testns.svc.cluster.local', RRType.A))).rcode,
      ).toBe(RCode.SERVFAIL);
      expect(
        (await udpAsk(t.server.port, query('example.com', RRType.A))).answers[0],
      ).toMatchObject({ address: '93.184.216.34' });
    } finally {
      await t.close();
    }
  });
});
