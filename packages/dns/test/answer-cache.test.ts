import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache } from '../src/answer-cache.js';
import { DnsCache } from '../src/cache.js';
import { RCode, RRType } from '../src/constants.js';
import { Forwarder } from '../src/forwarder.js';
import { QueryHandler, type QueryContext } from '../src/handler.js';
import { createMetrics } from '../src/metrics.js';
import { Resolver } from '../src/resolver.js';
import { parseSimpleQuery } from '../src/simple-query.js';
import { decodeMessage } from '../src/wire-decode.js';
import { Zone } from '../src/zone.js';
import { FakeUpstream } from './fake-upstream.js';
import { fixtureZone, service, slice } from './fixtures.js';
import { query } from './net-helpers.js';
import { rng } from './rng.js';

const udp: QueryContext = { proto: 'udp', family: 4 };
const tcp: QueryContext = { proto: 'tcp', family: 6 };

function randomCase(name: string, rand: () => number): string {
  return [...name].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
}

async function ask(h: QueryHandler, bytes: Buffer, ctx: QueryContext = udp): Promise<Buffer> {
  const reply = await h.handle(bytes, ctx);
  if (!reply) throw new Error('no reply');
  return reply;
}

function withZone(): { zone: ReturnType<typeof fixtureZone>; handler: QueryHandler } {
  const zone = fixtureZone();
  zone.upsertService(service('testns', 'big', { clusterIP: 'None' }));
  zone.upsertEndpointSlice(
    slice(
      'testns',
      'big',
      'big-1',
      'IPv4',
      Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.9.0.${i + 1}`] })),
    ),
  );
  const handler = new QueryHandler({ resolver: new Resolver(zone, { ttl: 30 }) });
  return { zone, handler };
}

describe('parseSimpleQuery', () => {
  it('keys a plain query on the lower-cased question, flags, size limit and DO bit', () => {
    const key = (b: Buffer, proto: 'udp' | 'tcp' = 'udp'): string | undefined =>
      parseSimpleQuery(b, proto)?.key;
    const base = key(query('svc1.testns.svc.cluster.local', RRType.A));
    expect(base).toBeDefined();
    expect(key(query('SVC1.TestNS.svc.cluster.LOCAL', RRType.A, undefined, 7))).toBe(base);
    const different = [
      key(query('svc2.testns.svc.cluster.local', RRType.A)),
      key(query('svc1.testns.svc.cluster.local', RRType.AAAA)),
      key(query('svc1.testns.svc.cluster.local', RRType.A), 'tcp'),
      key(query('svc1.testns.svc.cluster.local', RRType.A, { udpSize: 1232 })),
      key(query('svc1.testns.svc.cluster.local', RRType.A, { udpSize: 4096 })),
      key(query('svc1.testns.svc.cluster.local', RRType.A, { udpSize: 4096, dnssecOk: true })),
    ];
    expect(new Set([base, ...different]).size).toBe(7);
    const noRd = query('svc1.testns.svc.cluster.local', RRType.A);
    noRd[2] = 0;
    const cd = query('svc1.testns.svc.cluster.local', RRType.A);
    cd[3] = 0x10;
    expect(new Set([base, key(noRd), key(cd)]).size).toBe(3);
    // EDNS options are not echoed, so they do not split the key.
    expect(
      key(
        query('a.b', RRType.A, { udpSize: 1232, options: [{ code: 10, data: Buffer.alloc(8) }] }),
      ),
    ).toBe(key(query('a.b', RRType.A, { udpSize: 1232 })));
  });

  it('leaves anything unusual to the full decoder', () => {
    const plain = query('svc1.testns.svc.cluster.local', RRType.A, { udpSize: 1232 });
    const variants: Buffer[] = [];
    const edit = (f: (b: Buffer) => void): void => {
      const b = Buffer.from(plain);
      f(b);
      variants.push(b);
    };
    edit((b) => (b[2] = 0x80)); // a response
    edit((b) => (b[2] = 0x28)); // opcode 5
    edit((b) => b.writeUInt16BE(2, 4)); // two questions
    edit((b) => b.writeUInt16BE(1, 6)); // an answer record
    edit((b) => (b[12] = 0xc0)); // a compression pointer in the question
    edit((b) => (b[13] = 0xe9)); // a non-ASCII byte
    const optAt = plain.length - 11;
    edit((b) => (b[optAt + 6] = 1)); // EDNS version 1
    edit((b) => b.writeUInt16BE(RRType.A, optAt + 1)); // an additional that is not OPT
    variants.push(plain.subarray(0, plain.length - 1)); // OPT cut short
    const badOption = Buffer.concat([plain, Buffer.from([0, 10, 0, 9, 1])]);
    badOption.writeUInt16BE(5, optAt + 9); // an option longer than the OPT
    variants.push(badOption);
    for (const v of variants) expect(parseSimpleQuery(v, 'udp')).toBeUndefined();
  });
});

describe('AnswerCache bounds', () => {
  it('evicts the oldest entries past its byte budget, and skips replies larger than all of it', async () => {
    const zone = fixtureZone();
    const handler = new QueryHandler({ resolver: new Resolver(zone), answerCacheSize: 0 });
    const cache = new AnswerCache<undefined>(100, 300);
    const names = ['svc1', 'svc6', 'dual', 'hdls1', 'svcempty', 'hdlspublish'];
    const stored: number[] = [];
    for (const n of names) {
      const bytes = query(`${n}.testns.svc.cluster.local`, RRType.ANY, { udpSize: 4096 });
      const q = parseSimpleQuery(bytes, 'udp');
      if (!q) throw new Error('not a plain query');
      const reply = await ask(handler, bytes);
      cache.get(q.key, zone.generation, Date.now); // adopts the generation
      cache.set(q, reply, zone.generation, undefined, false, undefined);
      stored.push(reply.length);
    }
    let kept = 0;
    let total = 0;
    for (let i = stored.length - 1; i >= 0 && total + (stored[i] as number) <= 300; i--) {
      total += stored[i] as number;
      kept++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(names.length);
    expect(cache.size).toBe(kept);
    const big = query('big.testns.svc.cluster.local', RRType.A, { udpSize: 4096 });
    const bigZone = withZone();
    const bigReply = await ask(bigZone.handler, big);
    expect(bigReply.length).toBeGreaterThan(300);
    const bq = parseSimpleQuery(big, 'udp');
    if (!bq) throw new Error('not a plain query');
    cache.set(bq, bigReply, zone.generation, undefined, false, undefined);
    expect(cache.size).toBe(kept);
  });
});

describe('the answer cache', { timeout: 20_000 }, () => {
  it('answers byte for byte as an uncached handler would, for mutated and re-cased queries', async () => {
    const zone = fixtureZone();
    const resolver = new Resolver(zone, { ttl: 30 });
    const cached = new QueryHandler({ resolver, loadBalance: false });
    const plain = new QueryHandler({ resolver, loadBalance: false, answerCacheSize: 0 });
    const rand = rng(8080);
    const names: [string, number][] = [
      ['svc1.testns.svc.cluster.local', RRType.A],
      ['dual.testns.svc.cluster.local', RRType.AAAA],
      ['_http._tcp.hdls1.testns.svc.cluster.local', RRType.SRV],
      ['hdls1.testns.svc.cluster.local', RRType.A],
      ['missing.testns.svc.cluster.local', RRType.A],
      ['svc1.testns.svc.cluster.local', RRType.TXT],
      ['1.0.0.10.in-addr.arpa', RRType.PTR],
      ['cluster.local', RRType.SOA],
      ['outside.example', RRType.A],
    ];
    let hits = 0;
    for (let i = 0; i < 2000; i++) {
      const [name, type] = names[i % names.length] as [string, number];
      const edns =
        i % 3 === 0 ? undefined : { udpSize: [512, 1232, 4096][i % 3], dnssecOk: i % 5 === 0 };
      const bytes = query(randomCase(name, rand), type, edns, i);
      // Flip a few bits anywhere: most become unusual (full decoder), some stay plain.
      const flips = Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(rand() * 8));
      }
      const ctx = i % 7 === 0 ? tcp : udp;
      const before = cached.cachedReplies;
      const expected = await plain.handle(bytes, ctx);
      const first = await cached.handle(bytes, ctx);
      const second = await cached.handle(bytes, ctx);
      // Buffer.equals: vitest's deep equality on thousands of buffers is far slower.
      expect(expected === undefined ? first : expected.equals(first as Buffer)).toBe(
        expected === undefined ? undefined : true,
      );
      expect(expected === undefined ? second : expected.equals(second as Buffer)).toBe(
        expected === undefined ? undefined : true,
      );
      if (parseSimpleQuery(bytes, ctx.proto) && cached.cachedReplies === before) hits++;
    }
    expect(plain.cachedReplies).toBe(0);
    expect(cached.cachedReplies).toBeGreaterThan(20);
    expect(hits).toBeGreaterThan(600);
  });

  it('echoes the question exactly as asked, with the asker ID, from a reply cached for another spelling', async () => {
    const { handler } = withZone();
    await ask(handler, query('svc1.testns.svc.cluster.local', RRType.A, undefined, 1));
    expect(handler.cachedReplies).toBe(1);
    const reply = decodeMessage(
      await ask(handler, query('SvC1.TestNS.svc.CLUSTER.local', RRType.A, undefined, 0xbeef)),
    );
    expect(handler.cachedReplies).toBe(1);
    expect(reply.id).toBe(0xbeef);
    expect(reply.questions[0]?.name).toBe('SvC1.TestNS.svc.CLUSTER.local');
    expect(reply.answers.map((a) => [a.name, 'address' in a && a.address])).toEqual([
      ['SvC1.TestNS.svc.CLUSTER.local', '10.0.0.1'],
    ]);
  });

  it('never outlives a zone change: services, endpoints, namespaces and the first sync', async () => {
    const { zone, handler } = withZone();
    const a = async (name: string): Promise<ReturnType<typeof decodeMessage>> =>
      decodeMessage(await ask(handler, query(name, RRType.A)));
    expect((await a('svc1.testns.svc.cluster.local')).answers[0]).toMatchObject({
      address: '10.0.0.1',
    });
    zone.upsertService(service('testns', 'svc1', { clusterIPs: ['10.0.0.77'] }));
    expect((await a('svc1.testns.svc.cluster.local')).answers[0]).toMatchObject({
      address: '10.0.0.77',
    });
    expect((await a('newns.svc.cluster.local')).rcode).toBe(RCode.NXDOMAIN);
    zone.upsertNamespace({ metadata: { name: 'newns' } });
    expect((await a('newns.svc.cluster.local')).rcode).toBe(RCode.NOERROR);
    zone.upsertEndpointSlice(
      slice('testns', 'hdlsempty', 'hdlsempty-1', 'IPv4', [{ addresses: ['172.9.9.9'] }]),
    );
    expect((await a('hdlsempty.testns.svc.cluster.local')).answers[0]).toMatchObject({
      address: '172.9.9.9',
    });

    const unsynced = new Zone();
    unsynced.upsertService(service('testns', 'svc1', { clusterIPs: ['10.0.0.1'] }));
    const early = new QueryHandler({ resolver: new Resolver(unsynced) });
    const rcode = async (): Promise<number> =>
      decodeMessage(await ask(early, query('svc1.testns.svc.cluster.local', RRType.A))).rcode;
    expect(await rcode()).toBe(RCode.SERVFAIL);
    expect(await rcode()).toBe(RCode.SERVFAIL);
    unsynced.markSynced();
    expect(await rcode()).toBe(RCode.NOERROR);
  });

  it('keeps replies per size limit: TC without EDNS, whole with a large EDNS buffer, DO echoed', async () => {
    const { handler } = withZone();
    const name = 'big.testns.svc.cluster.local';
    for (let round = 0; round < 2; round++) {
      const small = decodeMessage(await ask(handler, query(name, RRType.A)));
      expect(small.flags.tc).toBe(true);
      const large = decodeMessage(await ask(handler, query(name, RRType.A, { udpSize: 4096 })));
      expect(large.flags.tc).toBe(false);
      expect(large.answers).toHaveLength(60);
      expect(large.edns?.dnssecOk).toBe(false);
      const doBit = decodeMessage(
        await ask(handler, query(name, RRType.A, { udpSize: 4096, dnssecOk: true })),
      );
      expect(doBit.edns?.dnssecOk).toBe(true);
      const overTcp = decodeMessage(await ask(handler, query(name, RRType.A), tcp));
      expect(overTcp.answers).toHaveLength(60);
    }
    expect(handler.cachedReplies).toBe(4);
  });

  it('reshuffles the addresses of a cached reply each time (loadbalance)', async () => {
    const { handler } = withZone();
    const firsts = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const reply = decodeMessage(
        await ask(handler, query('big.testns.svc.cluster.local', RRType.A, { udpSize: 4096 })),
      );
      const addrs = reply.answers.map((r) => ('address' in r ? r.address : ''));
      expect([...addrs].sort()).toEqual(
        Array.from({ length: 60 }, (_, k) => `10.9.0.${k + 1}`).sort(),
      );
      firsts.add(addrs[0] as string);
    }
    expect(handler.cachedReplies).toBe(1);
    expect(firsts.size).toBeGreaterThan(20);
  });

  it('counts cache hits in the request, response and duration metrics', async () => {
    const zone = fixtureZone();
    const metrics = createMetrics();
    const handler = new QueryHandler({ resolver: new Resolver(zone), metrics });
    for (let i = 0; i < 5; i++) {
      await ask(handler, query('svc1.testns.svc.cluster.local', RRType.A), udp);
      await ask(handler, query('svc1.testns.svc.cluster.local', RRType.A), { ...udp, family: 6 });
    }
    const zoneLabel = 'cluster.local.';
    expect(metrics.requests.get({ zone: zoneLabel, proto: 'udp', family: '1', type: 'A' })).toBe(5);
    expect(metrics.requests.get({ zone: zoneLabel, proto: 'udp', family: '2', type: 'A' })).toBe(5);
    expect(metrics.responses.get({ zone: zoneLabel, rcode: 'NOERROR', plugin: 'kubernetes' })).toBe(
      10,
    );
    expect(metrics.requestDuration.series({ zone: zoneLabel, type: 'A' }).count).toBe(10);
  });

  describe('with a forwarder', () => {
    let up: FakeUpstream;
    beforeAll(async () => {
      up = await new FakeUpstream().start();
    });
    afterAll(async () => {
      await up.close();
    });

    it('keeps forwarded answers from the forward cache, counting their TTLs down by the second', async () => {
      const metrics = createMetrics();
      const handler = new QueryHandler({
        resolver: new Resolver(fixtureZone()),
        forwarder: new Forwarder({
          upstreams: [{ host: '127.0.0.1', port: up.port }],
          cache: new DnsCache({ maxTtl: 30 }),
          metrics,
        }),
        metrics,
      });
      const ttl = async (): Promise<number | undefined> =>
        decodeMessage(await ask(handler, query('Cached.Example', RRType.A))).answers[0]?.ttl;
      // The upstream says 60; `cache 30` caps the reply to the miss and every cached copy.
      expect(await ttl()).toBe(30);
      expect(await ttl()).toBe(30);
      expect(handler.cachedReplies).toBe(1);
      for (let i = 0; i < 5; i++) expect(await ttl()).toBe(30);
      expect(up.seen.get('cached.example')).toBe(1);
      expect(metrics.cacheHits.get({ type: 'success' })).toBe(6);
      const nx = async (): Promise<number | undefined> =>
        decodeMessage(await ask(handler, query('NX.example', RRType.A))).authorities[0]?.ttl;
      // The SOA's TTL is 30 and its minimum 20: the negative answer lives 20 s, miss and hit.
      expect(await nx()).toBe(20);
      expect(await nx()).toBe(20);
      expect(handler.cachedReplies).toBe(2);
      await new Promise((r) => setTimeout(r, 1100));
      // The same entries, their TTLs counted down in the copies.
      expect(await ttl()).toBe(29);
      expect(await nx()).toBe(19);
      expect(handler.cachedReplies).toBe(2);
      expect(up.seen.get('cached.example')).toBe(1);
      expect(up.seen.get('nx.example')).toBe(1);
    });

    it('keeps forwarded answers through zone changes, while zone answers follow the zone', async () => {
      const zone = fixtureZone();
      const handler = new QueryHandler({
        resolver: new Resolver(zone, { ttl: 30 }),
        forwarder: new Forwarder({
          upstreams: [{ host: '127.0.0.1', port: up.port }],
          cache: new DnsCache({ maxTtl: 30 }),
        }),
      });
      const external = query('churn.example', RRType.A);
      const inside = query('svc1.testns.svc.cluster.local', RRType.A);
      const address = async (q: Buffer): Promise<unknown> =>
        decodeMessage(await ask(handler, q)).answers[0];
      await ask(handler, external); // the miss: forward cache filled
      await ask(handler, external); // from the forward cache: stored as an encoded reply
      expect(await address(inside)).toMatchObject({ address: '10.0.0.1' });
      expect(handler.cachedReplies).toBe(2);
      // Endpoint churn: ten zone changes, each followed by both questions. The external name is
      // answered synchronously from its encoded reply (a trip through the forwarder, even to its
      // cache, would be a promise).
      for (let i = 1; i <= 10; i++) {
        zone.upsertService(service('testns', 'svc1', { clusterIP: `10.0.7.${i}` }));
        const now = handler.handleNow(external, udp);
        expect(now).toBeInstanceOf(Buffer);
        expect(decodeMessage(now as Buffer).answers[0]).toMatchObject({ address: '192.0.2.1' });
        expect(await address(inside)).toMatchObject({ address: `10.0.7.${i}` });
      }
      expect(up.seen.get('churn.example')).toBe(1);
      expect(handler.cachedReplies).toBe(2);
    });

    it('handleNow answers cluster names and cached replies at once, and waits only for upstreams', async () => {
      const handler = new QueryHandler({
        resolver: new Resolver(fixtureZone()),
        forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }] }),
      });
      const cluster = handler.handleNow(query('svc1.testns.svc.cluster.local', RRType.A), udp);
      expect(cluster).toBeInstanceOf(Buffer);
      expect(decodeMessage(cluster as Buffer).answers[0]).toMatchObject({ address: '10.0.0.1' });
      // Malformed input is answered at once too (FORMERR), or dropped.
      const formerr = handler.handleNow(Buffer.from(query('x.y', RRType.A).subarray(0, 14)), udp);
      expect(decodeMessage(formerr as Buffer).rcode).toBe(RCode.FORMERR);
      expect(handler.handleNow(Buffer.alloc(5), udp)).toBeUndefined();
      const name = query('now.example', RRType.A);
      const first = handler.handleNow(name, udp);
      expect(first).toBeInstanceOf(Promise);
      expect(decodeMessage((await first) as Buffer).answers[0]).toMatchObject({ ttl: 60 });
      await handler.handle(name, udp); // forward cache: stored for the next ones
      const cached = handler.handleNow(name, udp);
      expect(cached).toBeInstanceOf(Buffer);
      expect(decodeMessage(cached as Buffer).answers[0]).toMatchObject({ address: '192.0.2.1' });
    });

    it('drops every cached reply on reconfigure', async () => {
      const zone = fixtureZone();
      const handler = new QueryHandler({ resolver: new Resolver(zone, { ttl: 30 }) });
      await ask(handler, query('svc1.testns.svc.cluster.local', RRType.A));
      const outside = decodeMessage(await ask(handler, query('example.com', RRType.A)));
      expect(outside.rcode).toBe(RCode.REFUSED);
      expect(handler.cachedReplies).toBe(2);
      handler.reconfigure({
        resolver: new Resolver(zone, { ttl: 7 }),
        forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }] }),
      });
      expect(handler.cachedReplies).toBe(0);
      const inside = decodeMessage(
        await ask(handler, query('svc1.testns.svc.cluster.local', RRType.A)),
      );
      expect(inside.answers[0]?.ttl).toBe(7);
      expect(inside.flags.ra).toBe(true);
      const forwarded = decodeMessage(await ask(handler, query('example.com', RRType.A)));
      expect(forwarded.answers[0]).toMatchObject({ address: '93.184.216.34' });
    });
  });
});
