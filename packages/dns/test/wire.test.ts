import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { RCode, RRClass, RRType } from '../src/constants.js';
import { DnsDecodeError, DnsEncodeError } from '../src/errors.js';
import { emptyFlags, type Message, type ResourceRecord } from '../src/message.js';
import { decodeMessage } from '../src/wire-decode.js';
import { encodeMessage } from '../src/wire-encode.js';

function response(answers: ResourceRecord[], extra: Partial<Message> = {}): Message {
  return {
    id: 0x1234,
    flags: { ...emptyFlags(), qr: true, aa: true, rd: true },
    rcode: RCode.NOERROR,
    questions: [{ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN }],
    answers,
    authorities: [],
    additionals: [],
    ...extra,
  };
}

const a = (name: string, address: string): ResourceRecord => ({
  name,
  type: RRType.A,
  class: RRClass.IN,
  ttl: 30,
  address,
});

describe('wire encoding', () => {
  it('round-trips every record type it models, and dns-packet reads the same records', () => {
    const records: ResourceRecord[] = [
      a('web.default.svc.cluster.local', '10.96.0.7'),
      {
        name: 'web.default.svc.cluster.local',
        type: RRType.AAAA,
        class: 1,
        ttl: 30,
        address: 'fd00::7',
      },
      {
        name: 'ext.default.svc.cluster.local',
        type: RRType.CNAME,
        class: 1,
        ttl: 30,
        target: 'example.com',
      },
      {
        name: '7.0.96.10.in-addr.arpa',
        type: RRType.PTR,
        class: 1,
        ttl: 30,
        target: 'web.default.svc.cluster.local',
      },
      {
        name: '_http._tcp.web.default.svc.cluster.local',
        type: RRType.SRV,
        class: 1,
        ttl: 30,
        srv: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
      },
      {
        name: 'dns-version.cluster.local',
        type: RRType.TXT,
        class: 1,
        ttl: 30,
        texts: [Buffer.from('1.1.0')],
      },
      {
        name: 'example.com',
        type: RRType.MX,
        class: 1,
        ttl: 30,
        mx: { preference: 10, exchange: 'mail.example.com' },
      },
      { name: 'example.com', type: 65, class: 1, ttl: 30, raw: Buffer.from([0, 1, 0]) },
    ];
    const soa: ResourceRecord = {
      name: 'cluster.local',
      type: RRType.SOA,
      class: 1,
      ttl: 30,
      soa: {
        mname: 'ns.dns.cluster.local',
        rname: 'hostmaster.cluster.local',
        serial: 42,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: 30,
      },
    };
    const msg = response(records, { authorities: [soa] });
    const wire = encodeMessage(msg);
    const back = decodeMessage(wire);
    expect(back.answers).toEqual(records);
    expect(back.authorities).toEqual([soa]);
    expect(back.flags).toMatchObject({ qr: true, aa: true, rd: true, tc: false });

    const other = dnsPacket.decode(wire);
    expect(other.id).toBe(0x1234);
    expect(other.answers?.map((r) => [r.type, r.name, 'data' in r ? r.data : undefined])).toEqual([
      ['A', 'web.default.svc.cluster.local', '10.96.0.7'],
      ['AAAA', 'web.default.svc.cluster.local', 'fd00::7'],
      ['CNAME', 'ext.default.svc.cluster.local', 'example.com'],
      ['PTR', '7.0.96.10.in-addr.arpa', 'web.default.svc.cluster.local'],
      [
        'SRV',
        '_http._tcp.web.default.svc.cluster.local',
        { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
      ],
      ['TXT', 'dns-version.cluster.local', [Buffer.from('1.1.0')]],
      ['MX', 'example.com', { preference: 10, exchange: 'mail.example.com' }],
      ['UNKNOWN_65', 'example.com', Buffer.from([0, 1, 0])],
    ]);
  });

  it('compresses repeated names, case-insensitively, to a fraction of the uncompressed size', () => {
    const answers = Array.from({ length: 20 }, (_, i) =>
      a('web.default.svc.cluster.local', `10.0.0.${i}`),
    );
    const questions = [
      { name: 'Web.Default.svc.Cluster.Local', type: RRType.A, class: RRClass.IN },
    ];
    const ours = encodeMessage(response(answers, { questions }));
    const plain = dnsPacket.encode({
      id: 1,
      type: 'response',
      questions: [{ name: 'Web.Default.svc.Cluster.Local', type: 'A' }],
      answers: answers.map((r) => ({
        type: 'A' as const,
        name: r.name,
        ttl: 30,
        data: '10.0.0.1',
      })),
    });
    // Each answer owner is a 2-byte pointer to the question name (written in the client's case).
    expect(ours.length).toBe(12 + 31 + 4 + 20 * (2 + 10 + 4));
    expect(plain.length - ours.length).toBe(20 * 29);
    // Pointers reuse the first spelling written: the answers carry the client's 0x20 case.
    const names = dnsPacket.decode(ours).answers?.map((r) => r.name);
    expect(names).toEqual(Array(20).fill('Web.Default.svc.Cluster.Local'));
  });

  it('round-trips labels holding dots and binary bytes through escapes', () => {
    const name = 'a\\.b.\\000\\255x.example';
    const wire = encodeMessage(response([a(name, '1.2.3.4')]));
    expect(decodeMessage(wire).answers[0]?.name).toBe(name);
  });

  it('rejects labels over 63 bytes and names over 255 with DnsEncodeError', () => {
    expect(() => encodeMessage(response([a(`${'x'.repeat(64)}.example`, '1.2.3.4')]))).toThrow(
      DnsEncodeError,
    );
    const long = Array.from({ length: 5 }, () => 'y'.repeat(60)).join('.');
    expect(() => encodeMessage(response([a(long, '1.2.3.4')]))).toThrow(DnsEncodeError);
  });
});

describe('size limits', () => {
  it('throws DnsEncodeError when even the questions do not fit', () => {
    const q = {
      name: `${'q'.repeat(60)}.${'r'.repeat(60)}.${'s'.repeat(60)}.example`,
      type: 1,
      class: 1,
    };
    const questions = Array.from({ length: 10000 }, (_, i) => ({ ...q, name: `${i}.${q.name}` }));
    expect(() => encodeMessage(response([], { questions }))).toThrow(/questions do not fit/);
    expect(() => encodeMessage(response([], { questions: [q] }), 100)).toThrow(DnsEncodeError);
  });
});

describe('truncation', () => {
  const many = Array.from({ length: 60 }, (_, i) =>
    a(`host-${i}.web.default.svc.cluster.local`, `10.0.1.${i}`),
  );

  it('fits whole answers into 512 bytes and sets TC when some were left out', () => {
    const wire = encodeMessage(response(many), 512);
    expect(wire.length).toBeLessThanOrEqual(512);
    const back = decodeMessage(wire);
    expect(back.flags.tc).toBe(true);
    expect(back.answers.length).toBeGreaterThan(5);
    expect(back.answers.length).toBeLessThan(60);
    expect(back.answers).toEqual(many.slice(0, back.answers.length));
  });

  it('keeps the OPT record inside the limit and honours a larger EDNS size', () => {
    const edns = { udpSize: 1232, version: 0, dnssecOk: false, extendedRcode: 0, options: [] };
    const small = decodeMessage(encodeMessage(response(many, { edns }), 512));
    expect(small.edns?.udpSize).toBe(1232);
    expect(small.flags.tc).toBe(true);
    const big = encodeMessage(response(many, { edns }), 4096);
    const back = decodeMessage(big);
    expect(back.flags.tc).toBe(false);
    expect(back.answers.length).toBe(60);
  });

  it('drops additional records without TC, but a missing authority record sets TC', () => {
    const extra = many.slice(0, 40);
    const withExtra = decodeMessage(
      encodeMessage(response(many.slice(0, 2), { additionals: extra }), 512),
    );
    expect(withExtra.flags.tc).toBe(false);
    expect(withExtra.answers.length).toBe(2);
    expect(withExtra.additionals.length).toBeLessThan(40);
    const withAuth = decodeMessage(
      encodeMessage(response(many.slice(0, 2), { authorities: extra }), 512),
    );
    expect(withAuth.flags.tc).toBe(true);
    expect(withAuth.answers.length).toBe(2);
    expect(withAuth.authorities).toEqual([]);
  });
});

describe('wire decoding', () => {
  const query = encodeMessage({
    id: 7,
    flags: { ...emptyFlags(), rd: true },
    rcode: 0,
    questions: [{ name: 'example.com', type: RRType.A, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: {
      udpSize: 4096,
      version: 0,
      dnssecOk: true,
      extendedRcode: 0,
      options: [{ code: 10, data: Buffer.from('cookie12') }],
    },
  });

  it('reads the question and the EDNS options of a query', () => {
    const q = decodeMessage(query);
    expect(q.questions).toEqual([{ name: 'example.com', type: 1, class: 1 }]);
    expect(q.edns).toEqual({
      udpSize: 4096,
      version: 0,
      dnssecOk: true,
      extendedRcode: 0,
      options: [{ code: 10, data: Buffer.from('cookie12') }],
    });
  });

  it('throws DnsDecodeError for every truncation of a valid message', () => {
    for (let n = 0; n < query.length; n++) {
      expect(() => decodeMessage(query.subarray(0, n))).toThrow(DnsDecodeError);
    }
  });

  it('rejects compression loops, forward pointers and reserved label types', () => {
    const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const selfLoop = Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(() => decodeMessage(selfLoop)).toThrow(/pointer does not go back/);
    const forward = Buffer.concat([header, Buffer.from([0xc0, 20, 0, 1, 0, 1])]);
    expect(() => decodeMessage(forward)).toThrow(DnsDecodeError);
    const reserved = Buffer.concat([header, Buffer.from([0x40, 0, 0, 1, 0, 1])]);
    expect(() => decodeMessage(reserved)).toThrow(/reserved label/);
  });

  it('reads a TTL with the top bit set as zero (RFC 2181 8)', () => {
    const wire = encodeMessage(response([a('x.example', '1.2.3.4')]));
    wire.writeUInt32BE(0x80000001, wire.length - 10); // the A record's TTL field
    expect(decodeMessage(wire).answers[0]?.ttl).toBe(0);
  });

  it('rejects two OPT records', () => {
    const opt = Buffer.from([0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]);
    const header = Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(() => decodeMessage(Buffer.concat([header, opt, opt]))).toThrow(/more than one OPT/);
  });
});
