import { describe, expect, it } from 'vitest';
import { RRType } from '../src/constants.js';
import { shuffleAddresses } from '../src/load-balance.js';
import type { ResourceRecord } from '../src/message.js';

const a = (address: string): ResourceRecord => ({
  name: 'x',
  type: RRType.A,
  class: 1,
  ttl: 5,
  address,
});
const cname: ResourceRecord = { name: 'x', type: RRType.CNAME, class: 1, ttl: 5, target: 'y' };

describe('shuffleAddresses', () => {
  it('moves only address records and keeps a CNAME in front of them', () => {
    const records = [cname, a('1.1.1.1'), a('2.2.2.2'), a('3.3.3.3')];
    // random() = 0 always swaps with the first slot: a deterministic permutation.
    const out = shuffleAddresses(records, () => 0);
    expect(out[0]).toBe(cname);
    expect(out.slice(1).map((r) => ('address' in r ? r.address : ''))).toEqual([
      '2.2.2.2',
      '3.3.3.3',
      '1.1.1.1',
    ]);
    expect(records[1]).toMatchObject({ address: '1.1.1.1' }); // input untouched
  });

  it('leaves single-address answers alone', () => {
    const one = [a('1.1.1.1')];
    expect(shuffleAddresses(one)).toBe(one);
  });
});
