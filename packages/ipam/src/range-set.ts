import { InvalidRangeError } from './errors.js';
import { IpAddress, type IpFamily } from './ip-address.js';
import { IpRange, type RangeConfig } from './ip-range.js';

/** A candidate address and the range it came from (for its subnet mask and gateway). */
export interface Candidate {
  address: IpAddress;
  range: IpRange;
}

/**
 * One of host-local's range sets (an inner list of `ranges`): non-overlapping ranges of a single
 * family from which exactly one address is allocated per attachment.
 */
export class RangeSet {
  private constructor(readonly ranges: readonly IpRange[]) {}

  /** Validates a set: at least one range, one family, no two ranges overlapping. */
  static of(ranges: readonly IpRange[], field = 'rangeSet'): RangeSet {
    const first = ranges[0];
    if (!first) throw new InvalidRangeError('empty range set', field);
    for (const [i, r] of ranges.entries()) {
      if (r.family !== first.family) {
        throw new InvalidRangeError('mixed address families in one range set', `${field}[${i}]`);
      }
      for (const [j, other] of ranges.slice(0, i).entries()) {
        if (r.overlaps(other)) {
          throw new InvalidRangeError(
            `ranges ${other.toString()} and ${r.toString()} overlap`,
            `${field}[${j}] and [${i}]`,
          );
        }
      }
    }
    return new RangeSet(ranges);
  }

  /** Builds and validates a set from its JSON form. */
  static fromConfig(configs: readonly RangeConfig[], field = 'rangeSet'): RangeSet {
    if (!Array.isArray(configs)) throw new InvalidRangeError('a range set must be a list', field);
    return RangeSet.of(
      configs.map((c, i) => IpRange.fromConfig(c, `${field}[${i}]`)),
      field,
    );
  }

  get family(): IpFamily {
    return this.ranges[0]!.family;
  }

  /** The range holding `address`, if any. */
  rangeFor(address: IpAddress): IpRange | undefined {
    return this.ranges.find((r) => r.contains(address));
  }

  contains(address: IpAddress): boolean {
    return this.rangeFor(address) !== undefined;
  }

  overlaps(other: RangeSet): boolean {
    return this.ranges.some((r) => other.ranges.some((o) => r.overlaps(o)));
  }

  /** Number of addresses that can be handed out across the set. */
  get usable(): bigint {
    return this.ranges.reduce((sum, r) => sum + r.usable, 0n);
  }

  /**
   * Every allocatable address exactly once, in host-local's round-robin order: starting just
   * after `after` (the last reserved address) when the set holds it, otherwise at the first
   * range's start; moving through the ranges in order and wrapping around; skipping gateways.
   */
  *candidates(after?: IpAddress): Generator<Candidate> {
    const n = this.ranges.length;
    let first = 0;
    let from = this.ranges[0]!.start.value;
    const holder = after ? this.ranges.findIndex((r) => r.contains(after)) : -1;
    if (after && holder >= 0) {
      const r = this.ranges[holder]!;
      if (after.equals(r.end)) {
        first = (holder + 1) % n;
        from = this.ranges[first]!.start.value;
      } else {
        first = holder;
        from = after.value + 1n;
      }
    }
    // k = 0 is the first range from `from`, k = n the same range again up to just before `from`.
    for (let k = 0; k <= n; k++) {
      const range = this.ranges[(first + k) % n]!;
      const lo = k === 0 ? from : range.start.value;
      const hi = k === n ? from - 1n : range.end.value;
      for (let v = lo; v <= hi; v++) {
        if (v === range.gateway.value) continue;
        yield { address: IpAddress.fromBigInt(range.family, v), range };
      }
    }
  }

  /** Ranges joined by commas, as host-local prints a set. */
  toString(): string {
    return this.ranges.map((r) => r.toString()).join(',');
  }
}

/** Rejects a list of range sets where any two overlap (one address per set must stay distinct). */
export function assertDisjointRangeSets(sets: readonly RangeSet[], field = 'ranges'): void {
  for (const [i, set] of sets.entries()) {
    for (const [j, earlier] of sets.slice(0, i).entries()) {
      if (set.overlaps(earlier)) {
        throw new InvalidRangeError(`range set ${j} overlaps with range set ${i}`, field);
      }
    }
  }
}
