import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RCode, RRType } from '../src/constants.js';
import { QueryHandler } from '../src/handler.js';
import { createMetrics, renderPrometheus } from '../src/metrics.js';
import { Resolver } from '../src/resolver.js';
import { startDnsServer } from '../src/server.js';
import { encodeMessage } from '../src/wire-encode.js';
import { decodeMessage } from '../src/wire-decode.js';
import { fixtureZone, service, slice } from './fixtures.js';
import {
  dig,
  digAt,
  frame,
  query,
  startTestServer,
  tcpExchange,
  udpAsk,
  udpRaw,
  type TestServer,
} from './net-helpers.js';

let t: TestServer;
let port: number;

beforeAll(async () => {
  const zone = fixtureZone();
  // 100 ready endpoints: about 1.6 KB of A records, far over 512 bytes.
  zone.upsertService(service('testns', 'big', { clusterIP: 'None' }));
  zone.upsertEndpointSlice(
    slice(
      'testns',
      'big',
      'big-1',
      'IPv4',
      Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.9.0.${i + 1}`] })),
    ),
  );
  t = await startTestServer(zone, { resolver: { ttl: 30 }, tcp: { idleTimeoutMs: 300 } });
  port = t.server.port;
});

afterAll(async () => {
  await t.close();
});

describe('UDP and TCP servers, queried with dig', { timeout: 20_000 }, () => {
  it('answers a ClusterIP service over UDP (+notcp) and TCP (+tcp)', async () => {
    for (const proto of ['+notcp', '+tcp']) {
      const out = await dig(port, proto, 'svc1.testns.svc.cluster.local', 'A');
      expect(out).toMatch(/status: NOERROR/);
      expect(out).toMatch(/flags: qr aa rd;/); // no forwarder here, so no "ra"
      expect(out).toMatch(/^svc1\.testns\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.0\.0\.1$/m);
    }
  });

  it('answers SRV, PTR, TXT and NXDOMAIN with the SOA as dig shows them', async () => {
    expect(await dig(port, '+short', '_http._tcp.svc1.testns.svc.cluster.local', 'SRV')).toBe(
      '0 100 80 svc1.testns.svc.cluster.local.\n',
    );
    expect(await dig(port, '+short', '-x', '10.0.0.1')).toBe('svc1.testns.svc.cluster.local.\n');
    expect(await dig(port, '+short', 'dns-version.cluster.local', 'TXT')).toBe('"1.1.0"\n');
    const nx = await dig(port, 'nope.testns.svc.cluster.local', 'A');
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toMatch(
      /^cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/m,
    );
  });

  it('truncates a large answer without EDNS (TC) and dig gets it all by retrying over TCP', async () => {
    const udpOnly = await dig(
      port,
      '+noedns',
      '+notcp',
      '+ignore',
      'big.testns.svc.cluster.local',
      'A',
    );
    expect(udpOnly).toMatch(/flags: qr aa tc rd/);
    const shown = udpOnly.match(/IN\s+A\s+10\.9\./g)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(100);
    const retried = await dig(port, '+noedns', '+notcp', 'big.testns.svc.cluster.local', 'A');
    expect(retried).toMatch(/Truncated, retrying in TCP mode/);
    expect(retried.match(/IN\s+A\s+10\.9\./g)?.length).toBe(100);
  });

  it('honours the advertised EDNS size and echoes an OPT record', async () => {
    const out = await dig(port, '+notcp', '+bufsize=4096', 'big.testns.svc.cluster.local', 'A');
    expect(out).not.toMatch(/flags:[^;]* tc/);
    expect(out.match(/IN\s+A\s+10\.9\./g)?.length).toBe(100);
    expect(out).toMatch(/EDNS: version: 0, flags:; udp: 4096/);
    const small = await dig(
      port,
      '+notcp',
      '+bufsize=1232',
      '+ignore',
      'big.testns.svc.cluster.local',
      'A',
    );
    expect(small).toMatch(/flags: qr aa tc rd/);
  });
});

describe('IPv6', { timeout: 20_000 }, () => {
  it('serves on ::1 over UDP and TCP and counts the family as 2', async () => {
    const metrics = createMetrics();
    const handler = new QueryHandler({ resolver: new Resolver(fixtureZone()), metrics });
    const v6 = await startDnsServer({ handler, host: '::1', port: 0 });
    try {
      for (const proto of ['+notcp', '+tcp'])
        expect(
          await digAt('::1', v6.port, proto, '+short', 'svc6.testns.svc.cluster.local', 'AAAA'),
        ).toBe('1234:abcd::1\n');
      expect(
        metrics.requests.get({ zone: 'cluster.local.', proto: 'udp', family: '2', type: 'AAAA' }),
      ).toBe(1);
      expect(
        metrics.requests.get({ zone: 'cluster.local.', proto: 'tcp', family: '2', type: 'AAAA' }),
      ).toBe(1);
    } finally {
      await v6.close();
    }
  });
});

describe('wire behaviour', { timeout: 20_000 }, () => {
  it('keeps every UDP reply within 512 bytes without EDNS and within the client size with it', async () => {
    const plain = await udpRaw(port, query('big.testns.svc.cluster.local', RRType.A));
    expect(plain?.length).toBeLessThanOrEqual(512);
    const sized = await udpRaw(
      port,
      query('big.testns.svc.cluster.local', RRType.A, { udpSize: 1000 }),
    );
    expect(sized?.length).toBeLessThanOrEqual(1000);
    expect(sized?.length).toBeGreaterThan(512);
    const reply = decodeMessage(sized as Buffer);
    expect(reply.flags.tc).toBe(true);
    expect(reply.edns?.udpSize).toBe(4096);
  });

  it('answers several pipelined queries on one TCP connection', async () => {
    const names = ['svc1', 'svc6', 'dual', 'hdls1'].map((s) => `${s}.testns.svc.cluster.local`);
    const replies = await tcpExchange(
      port,
      names.map((n, i) => query(n, RRType.A, undefined, 100 + i)),
      4,
    );
    expect(replies.map((r) => r.id).sort()).toEqual([100, 101, 102, 103]);
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(byId.get(100)?.answers[0]).toMatchObject({ address: '10.0.0.1' });
    expect(byId.get(101)?.answers).toEqual([]);
    expect(byId.get(103)?.answers.length).toBe(4);
  });

  it('shuffles the addresses of a multi-record answer (loadbalance), keeping the set', async () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await udpAsk(port, query('hdls1.testns.svc.cluster.local', RRType.A, undefined, i));
      const addrs = r.answers.map((a) => ('address' in a ? a.address : ''));
      expect([...addrs].sort()).toEqual(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5']);
      firsts.add(addrs[0] as string);
    }
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('answers every one of 3000 queries from a TCP client that stops reading for a while', async () => {
    const n = 3000;
    const count = await new Promise<number>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let got = 0;
      let buf: Buffer = Buffer.alloc(0);
      s.pause(); // not reading: replies back up in the server's send buffer
      s.on('error', reject);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          if (++got === n) {
            s.destroy();
            resolve(got);
          }
        }
      });
      const q = query('big.testns.svc.cluster.local', RRType.A);
      s.write(Buffer.concat(Array.from({ length: n }, () => frame(q))));
      setTimeout(() => s.resume(), 300);
    });
    expect(count).toBe(n);
  });

  it('closes an idle TCP connection after the idle timeout', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.on('close', () => resolve());
      s.on('error', reject);
      s.resume();
    });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2000);
  });

  it('answers FORMERR when only the header is readable, and drops what has no header or is a response', async () => {
    const garbage = Buffer.concat([
      Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0x40, 1, 2]),
    ]);
    const formerr = await udpAsk(port, garbage);
    expect(formerr.id).toBe(0xabcd);
    expect(formerr.rcode).toBe(RCode.FORMERR);
    expect(await udpRaw(port, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    const response = query('svc1.testns.svc.cluster.local', RRType.A);
    response[2] = (response[2] as number) | 0x80;
    expect(await udpRaw(port, response, 300)).toBeUndefined();
  });

  it('answers NOTIMP for other opcodes, FORMERR for two questions, BADVERS for EDNS version 1', async () => {
    const notify = query('svc1.testns.svc.cluster.local', RRType.SOA);
    notify[2] = ((notify[2] as number) & 0x87) | (4 << 3);
    expect((await udpAsk(port, notify)).rcode).toBe(RCode.NOTIMP);
    const two = encodeMessage({
      ...decodeMessage(query('a.cluster.local', RRType.A)),
      questions: [
        { name: 'a.cluster.local', type: 1, class: 1 },
        { name: 'b.cluster.local', type: 1, class: 1 },
      ],
    });
    expect((await udpAsk(port, two)).rcode).toBe(RCode.FORMERR);
    const badvers = await udpAsk(
      port,
      query('svc1.testns.svc.cluster.local', RRType.A, { version: 1 }),
    );
    expect(badvers.rcode).toBe(RCode.BADVERS);
    expect(badvers.edns?.version).toBe(0);
    expect(t.metrics.responses.get({ zone: 'cluster.local.', rcode: 'NOTIMP', plugin: '' })).toBe(
      1,
    );
    expect(t.metrics.responses.get({ zone: 'cluster.local.', rcode: 'FORMERR', plugin: '' })).toBe(
      1,
    );
  });

  it('refuses names outside the zone when no forwarder is configured', async () => {
    const reply = await udpAsk(port, query('example.com', RRType.A));
    expect(reply.rcode).toBe(RCode.REFUSED);
    expect(reply.flags.ra).toBe(false);
  });

  it('counts requests and rcodes, rendered with CoreDNS metric names', async () => {
    const text = renderPrometheus(t.metrics);
    expect(text).toMatch(/^# TYPE coredns_dns_requests_total counter$/m);
    expect(text).toMatch(
      /^coredns_dns_requests_total\{server="dns:\/\/:53",zone="cluster\.local\.",proto="udp",family="1",type="A"\} \d+$/m,
    );
    expect(text).toMatch(
      /^coredns_dns_requests_total\{server="dns:\/\/:53",zone="cluster\.local\.",proto="tcp",family="1",type="A"\} \d+$/m,
    );
    expect(text).toMatch(
      /^coredns_dns_responses_total\{server="dns:\/\/:53",zone="cluster\.local\.",rcode="NXDOMAIN",plugin="kubernetes"\} \d+$/m,
    );
    expect(text).toMatch(
      /^switchyard_dns_malformed_requests_total\{server="dns:\/\/:53",action="formerr"\} \d+$/m,
    );
    expect(
      t.metrics.requests.get({ zone: 'cluster.local.', proto: 'udp', family: '1', type: 'SRV' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      /^coredns_dns_request_duration_seconds_count\{server="dns:\/\/:53",zone="cluster\.local\.",type="A"\} [1-9]\d*$/m,
    );
  });
});
