import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RCode, RRType } from '../src/constants.js';
import { DnsDecodeError } from '../src/errors.js';
import { emptyFlags, type Message } from '../src/message.js';
import { decodeMessage } from '../src/wire-decode.js';
import { encodeMessage } from '../src/wire-encode.js';
import { FakeUpstream } from './fake-upstream.js';
import { fixtureZone } from './fixtures.js';
import {
  frame,
  query,
  startTestServer,
  tcpExchange,
  udpAsk,
  type TestServer,
} from './net-helpers.js';
import { rng } from './rng.js';

const SEED = 20261121;
const rand = rng(SEED);
const int = (n: number): number => Math.floor(rand() * n);

const seeds: Buffer[] = [
  query('svc1.testns.svc.cluster.local', RRType.A),
  query('_http._tcp.hdls1.testns.svc.cluster.local', RRType.SRV, {
    udpSize: 4096,
    options: [{ code: 10, data: Buffer.alloc(8, 7) }],
  }),
  query('2.0.0.172.in-addr.arpa', RRType.PTR),
  query('external.testns.svc.cluster.local', RRType.A, { dnssecOk: true }),
  query('10-244-1-5.testns.pod.cluster.local', RRType.AAAA),
  query('example.com', RRType.MX),
  // A full response-shaped message (compressed names, every section), with QR cleared.
  encodeMessage({
    id: 9,
    flags: { ...emptyFlags(), rd: true },
    rcode: 0,
    questions: [{ name: 'hdls1.testns.svc.cluster.local', type: RRType.A, class: 1 }],
    answers: Array.from({ length: 4 }, (_, i) => ({
      name: 'hdls1.testns.svc.cluster.local',
      type: RRType.A,
      class: 1,
      ttl: 5,
      address: `172.0.0.${i}`,
    })),
    authorities: [
      {
        name: 'cluster.local',
        type: RRType.SOA,
        class: 1,
        ttl: 5,
        soa: {
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: 1,
          refresh: 2,
          retry: 3,
          expire: 4,
          minimum: 5,
        },
      },
    ],
    additionals: [
      {
        name: 'x.cluster.local',
        type: RRType.SRV,
        class: 1,
        ttl: 5,
        srv: { priority: 0, weight: 1, port: 2, target: 'y.cluster.local' },
      },
    ],
  }),
];

function mutate(): Buffer {
  const base = Buffer.from(seeds[int(seeds.length)] as Buffer);
  switch (int(8)) {
    case 0: // random bit flips
      for (let i = 0, n = 1 + int(8); i < n; i++) {
        const at = int(base.length);
        base[at] = (base[at] as number) ^ (1 << int(8));
      }
      return base;
    case 1: // random byte overwrites
      for (let i = 0, n = 1 + int(6); i < n; i++) base[int(base.length)] = int(256);
      return base;
    case 2: // truncation
      return base.subarray(0, int(base.length));
    case 3: // trailing junk
      return Buffer.concat([
        base,
        Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256))),
      ]);
    case 4: {
      // compression pointers anywhere, including at and past themselves
      const at = 12 + int(Math.max(1, base.length - 13));
      base[at] = 0xc0 | int(0x40);
      if (at + 1 < base.length) base[at + 1] = int(256);
      return base;
    }
    case 5: // absurd section counts
      base.writeUInt16BE(int(65536), 4 + 2 * int(4));
      return base;
    case 6: // two seeds spliced
      return Buffer.concat([
        base.subarray(0, int(base.length)),
        (seeds[int(seeds.length)] as Buffer).subarray(int(20)),
      ]);
    default: // pure noise, sometimes shorter than a header
      return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
  }
}

/** Names compare case-insensitively: compression may merge two spellings of one name. */
function lowerNames(m: Message): unknown {
  return JSON.parse(JSON.stringify(m), (k, v: unknown) =>
    ['name', 'target', 'mname', 'rname', 'exchange'].includes(k) && typeof v === 'string'
      ? v.toLowerCase()
      : v,
  );
}

describe(`fuzzing the codec (seed ${SEED})`, () => {
  it('decodes 10000 mutated messages to either DnsDecodeError or a message that re-encodes to itself', () => {
    let accepted = 0;
    for (let i = 0; i < 10000; i++) {
      const input = mutate();
      let msg: Message;
      try {
        msg = decodeMessage(input);
      } catch (e) {
        expect(e).toBeInstanceOf(DnsDecodeError);
        continue;
      }
      accepted++;
      const again = decodeMessage(encodeMessage(msg));
      expect(lowerNames(again)).toEqual(lowerNames(msg));
    }
    expect(accepted).toBeGreaterThan(300);
  }, 30_000);
});

let t: TestServer;
let up: FakeUpstream;

beforeAll(async () => {
  up = await new FakeUpstream().start();
  t = await startTestServer(fixtureZone(), {
    forwarder: {
      upstreams: [{ host: '127.0.0.1', port: up.port }],
      timeoutMs: 300,
      deadlineMs: 600,
    },
  });
}, 30_000);

afterAll(async () => {
  await t.close();
  await up.close();
});

/** A valid query must keep being answered; UDP may drop a datagram in a burst, so allow 3 tries. */
async function probe(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const q = query('svc1.testns.svc.cluster.local', RRType.A, undefined, 777);
      const r = await udpAsk(t.server.port, q, 2000);
      expect(r.answers[0]).toMatchObject({ address: '10.0.0.1' });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

describe(`fuzzing a running server (seed ${SEED})`, () => {
  it('survives 4000 random and mutated UDP packets, answering a valid query throughout', async () => {
    const sock = createSocket('udp4');
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    try {
      for (let batch = 0; batch < 40; batch++) {
        for (let i = 0; i < 100; i++) sock.send(mutate(), t.server.port, '127.0.0.1');
        await probe();
      }
      await new Promise((r) => setTimeout(r, 700)); // let forwarded ones finish
    } finally {
      sock.close();
    }
    // Every reply the server sent is itself a well-formed message.
    for (const reply of replies) expect(() => decodeMessage(reply)).not.toThrow();
    const rcodes = new Set(replies.map((r) => decodeMessage(r).rcode));
    expect(rcodes.has(RCode.FORMERR)).toBe(true);
    expect(replies.length).toBeGreaterThan(1000);
    expect(t.metrics.malformed.get({ action: 'drop' })).toBeGreaterThan(0);
  }, 30_000);

  it('survives 1500 mutated TCP frames and torn framing on many connections', async () => {
    const conns = Array.from(
      { length: 15 },
      (_, c) =>
        new Promise<void>((resolve) => {
          const s = connect(t.server.port, '127.0.0.1');
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.resume();
          s.on('connect', () => {
            const frames = Array.from({ length: 100 }, () => frame(mutate()));
            // Some connections end with a lying length prefix or a zero-length frame.
            if (c % 3 === 1) frames.push(Buffer.from([0xff, 0xff, 1, 2, 3]));
            if (c % 3 === 2) frames.push(Buffer.from([0, 0]));
            s.end(Buffer.concat(frames));
            setTimeout(() => s.destroy(), 1500);
          });
        }),
    );
    await Promise.all(conns);
    await probe();
    const [r] = await tcpExchange(
      t.server.port,
      [query('svc1.testns.svc.cluster.local', RRType.A)],
      1,
    );
    expect(r?.answers[0]).toMatchObject({ address: '10.0.0.1' });
  }, 30_000);
});
