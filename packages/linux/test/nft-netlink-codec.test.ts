import { describe, expect, it } from 'vitest';
import {
  type NftElementOp,
  attr,
  type NftValue,
  elementMessages,
  encodeMessage,
  parseError,
  parseMessages,
  parseRule,
} from '../src/nft-netlink-codec.js';
import { InvalidAddressError } from '../src/index.js';

// The NFTA_SET_ELEM_LIST_ELEMENTS payloads nft 1.0.6 sent for the same commands, captured with
// `strace -f -e trace=sendmsg -xx nft add element inet t ...` in a scratch namespace.
const NFT_BYTES = {
  // add element inet t sip { 10.96.0.1 . tcp . 80 : goto c, 10.96.0.2 . udp . 53 : jump c }
  verdictMap:
    '3000018014000180100001000a6000010600000000500000180002801400028008000100fffffffc06000200630000003000028014000180100001000a6000021100000000350000180002801400028008000100fffffffd0600020063000000',
  // add element inet t ep { 10.96.0.1 . tcp . 80 . 1 : 10.244.1.5 . 8080 }
  dnatMap:
    '2c00018018000180140001000a600001060000000050000001000000100002800c0001000af401051f900000',
  // add element inet t ep6 { fd00::1 . udp . 53 . 3 : fd01::5 . 5353 }
  dnatMap6:
    '440001802400018020000100fd0000000000000000000000000000011100000000350000030000001c00028018000100fd01000000000000000000000000000514e90000',
  // delete element inet t ep { 10.96.0.1 . tcp . 80 . 1 }
  dnatDelete: '1c00018018000180140001000a600001060000000050000001000000',
  // add element inet t hp { 10.1.1.1 . 10.1.1.1 }
  pairSet: '14000180100001800c0001000a0101010a010101',
};

const v4 = (value: string): NftValue => ({ type: 'ipv4_addr', value });
const v6 = (value: string): NftValue => ({ type: 'ipv6_addr', value });
const proto = (value: number): NftValue => ({ type: 'inet_proto', value });
const port = (value: number): NftValue => ({ type: 'inet_service', value });
const int = (value: number): NftValue => ({ type: 'integer', value });
const table = { family: 'inet', name: 't' } as const;

/** The elements attribute's payload: the last attribute of the message. */
function elementsPayload(op: NftElementOp): string {
  const [m] = elementMessages(table, [op]);
  const attrs = m!.attrs;
  let off = 0;
  let last: Buffer = Buffer.alloc(0);
  while (off < attrs.length) {
    const len = attrs.readUInt16LE(off);
    last = attrs.subarray(off + 4, off + len);
    off += (len + 3) & ~3;
  }
  return last.toString('hex');
}

describe('nf_tables element encoding (checked against nft 1.0.6)', () => {
  it('encodes verdict-map elements: ip . inet_proto . inet_service : goto/jump chain', () => {
    const key = (ip: string, p: number, n: number): NftValue[] => [v4(ip), proto(p), port(n)];
    expect(
      elementsPayload({
        op: 'add',
        set: 'sip',
        elements: [
          { key: key('10.96.0.1', 6, 80), data: { kind: 'goto', chain: 'c' } },
          { key: key('10.96.0.2', 17, 53), data: { kind: 'jump', chain: 'c' } },
        ],
      }),
    ).toBe(NFT_BYTES.verdictMap);
  });

  it('encodes endpoint-map elements with the numgen slot in host byte order and ip . port data', () => {
    expect(
      elementsPayload({
        op: 'add',
        set: 'ep',
        elements: [
          {
            key: [v4('10.96.0.1'), proto(6), port(80), int(1)],
            data: [v4('10.244.1.5'), port(8080)],
          },
        ],
      }),
    ).toBe(NFT_BYTES.dnatMap);
    expect(
      elementsPayload({
        op: 'add',
        set: 'ep6',
        elements: [
          { key: [v6('fd00::1'), proto(17), port(53), int(3)], data: [v6('fd01::5'), port(5353)] },
        ],
      }),
    ).toBe(NFT_BYTES.dnatMap6);
  });

  it('encodes deletes (key only) and plain concatenated sets', () => {
    expect(
      elementsPayload({
        op: 'delete',
        set: 'ep',
        elements: [{ key: [v4('10.96.0.1'), proto(6), port(80), int(1)] }],
      }),
    ).toBe(NFT_BYTES.dnatDelete);
    expect(
      elementsPayload({
        op: 'add',
        set: 'hp',
        elements: [{ key: [v4('10.1.1.1'), v4('10.1.1.1')] }],
      }),
    ).toBe(NFT_BYTES.pairSet);
  });

  it('frames messages like nft: NEWSETELEM with CREATE, DELSETELEM without, both acknowledged', () => {
    const [add, del] = elementMessages(table, [
      { op: 'add', set: 'hp', elements: [{ key: [v4('10.1.1.1'), v4('10.1.1.1')] }] },
      { op: 'delete', set: 'hp', elements: [{ key: [v4('10.1.1.1'), v4('10.1.1.1')] }] },
    ]);
    const head = (b: Buffer): number[] => [b.readUInt16LE(4), b.readUInt16LE(6), b.readUInt8(16)];
    // type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_*; flags REQUEST|ACK (|CREATE); family inet = 1
    expect(head(encodeMessage(add!, 7))).toEqual([(10 << 8) | 12, 0x405, 1]);
    expect(head(encodeMessage(del!, 8))).toEqual([(10 << 8) | 14, 0x5, 1]);
    expect(add!.what).toBe('add element inet t hp');
  });

  it('splits long element lists so each attribute stays under 64 KiB', () => {
    const elements = Array.from({ length: 3000 }, (_, i) => ({
      key: [v4(`10.${i >> 8}.${i & 255}.1`), proto(6), port(80), int(0)],
      data: [v4('10.244.0.1'), port(80)],
    }));
    const msgs = elementMessages(table, [{ op: 'add', set: 'ep', elements }]);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(m.attrs.length).toBeLessThan(65_535);
    // Every element is in exactly one message: 44 bytes each, as in nft's own bytes above.
    const total = msgs.reduce((n, m) => n + m.attrs.length, 0);
    expect(total).toBe(msgs.length * (8 + 8 + 4) + 3000 * 44);
  });

  it('refuses values it cannot encode, before anything is sent', () => {
    const op = (key: NftValue[]): NftElementOp[] => [{ op: 'add', set: 's', elements: [{ key }] }];
    expect(() => elementMessages(table, op([v4('10.0.0.300')]))).toThrow(InvalidAddressError);
    expect(() => elementMessages(table, op([v4('fd00::1')]))).toThrow(InvalidAddressError);
    for (const bad of ['01.2.3.4', '1.2.3', '1..2.3', '1.2.3.4.5', '1.2.3.4 ', ''])
      expect(() => elementMessages(table, op([v4(bad)])), bad).toThrow(InvalidAddressError);
    expect(() => elementMessages(table, op([v6('10.0.0.1')]))).toThrow(InvalidAddressError);
    const verdictTo = (chain: string): NftElementOp[] => [
      { op: 'add', set: 'm', elements: [{ key: [v4('10.0.0.1')], data: { kind: 'goto', chain } }] },
    ];
    expect(() => elementMessages(table, verdictTo(''))).toThrow(RangeError);
    expect(() => elementMessages(table, verdictTo('c'.repeat(256)))).toThrow(RangeError);
    expect(elementMessages(table, verdictTo('c'.repeat(255)))).toHaveLength(1);
    expect(() => elementMessages(table, op([port(65_536)]))).toThrow(RangeError);
    expect(() => elementMessages(table, op([proto(-1)]))).toThrow(RangeError);
    expect(() => elementMessages(table, op([int(1.5)]))).toThrow(RangeError);
  });

  it('reads acks, errors and a rule dump message', () => {
    // NLMSG_ERROR carrying -ENOENT for seq 42, then an ack for seq 43.
    const err = (errno: number, seq: number): Buffer => {
      const b = Buffer.alloc(16 + 4 + 16);
      b.writeUInt32LE(b.length, 0);
      b.writeUInt16LE(2, 4);
      b.writeInt32LE(-errno, 16);
      b.writeUInt32LE(seq, 20 + 8);
      return b;
    };
    const msgs = parseMessages(Buffer.concat([err(2, 42), err(0, 43)]));
    expect(msgs.map(parseError)).toEqual([
      { errno: 2, seq: 42 },
      { errno: 0, seq: 43 },
    ]);
    // A NEWRULE as the kernel dumps `jump services` (handle 5): built with the same attribute
    // layout nft prints for it (immediate, dreg 0, verdict JUMP "services").
    const a = attr;
    const be32 = (n: number): Buffer =>
      Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const handle = Buffer.alloc(8);
    handle.writeBigUInt64BE(5n);
    const verdict = a(
      0x8002,
      Buffer.concat([a(1, be32(0xfffffffd)), a(2, Buffer.from('services\0'))]),
    );
    const imm = a(0x8002, Buffer.concat([a(1, be32(0)), a(0x8002, verdict)]));
    const expr = a(0x8001, Buffer.concat([a(1, Buffer.from('immediate\0')), imm]));
    const payload = Buffer.concat([Buffer.alloc(4), a(3, handle), a(0x8004, expr)]);
    const rule = parseRule({ type: (10 << 8) | 6, flags: 2, seq: 1, payload });
    expect(rule).toEqual({
      handle: 5n,
      expressions: ['immediate'],
      verdicts: [{ kind: 'jump', chain: 'services' }],
    });
  });
});
