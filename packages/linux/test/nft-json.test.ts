import { describe, expect, it } from 'vitest';
import { NftError, parseNftJson, ruleCounter } from '../src/index.js';

describe('parseNftJson', () => {
  it('turns nft -j output into tables, chains, sets, maps and rules', () => {
    const text = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', json_schema_version: 1 } },
        { table: { family: 'ip', name: 't', handle: 1 } },
        { chain: { family: 'ip', table: 't', name: 'c', handle: 2 } },
        {
          map: {
            family: 'ip',
            table: 't',
            name: 'm',
            handle: 3,
            type: 'ipv4_addr',
            map: 'verdict',
            elem: [['10.0.0.1', { accept: null }]],
          },
        },
        {
          rule: {
            family: 'ip',
            table: 't',
            chain: 'c',
            handle: 4,
            expr: [{ counter: { packets: 3, bytes: 180 } }, { accept: null }],
          },
        },
      ],
    });
    const parsed = parseNftJson(text);
    expect(parsed.tables).toEqual([{ family: 'ip', name: 't', handle: 1 }]);
    expect(parsed.chains[0]).toEqual({ family: 'ip', table: 't', name: 'c', handle: 2 });
    expect(parsed.maps[0]).toMatchObject({
      name: 'm',
      map: 'verdict',
      flags: [],
      elements: [['10.0.0.1', { accept: null }]],
    });
    expect(parsed.sets).toEqual([]);
    expect(ruleCounter(parsed.rules[0]!)).toEqual({ packets: 3, bytes: 180 });
  });

  it('rejects output that is not nft JSON', () => {
    expect(() => parseNftJson('table ip t {}')).toThrow(NftError);
    expect(() => parseNftJson('{"x":1}')).toThrow(NftError);
  });
});
