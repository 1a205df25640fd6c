import { ipToBytes, type Cidr } from '@switchyard/linux';

interface Interval {
  start: bigint;
  end: bigint;
  cidr: Cidr;
}

/**
 * Prefixes claimed so far, kept per family as sorted disjoint address ranges, so "does this one
 * overlap any of them?" is a binary search rather than a comparison with each.
 */
export class PrefixSet {
  private readonly ranges = { 4: [] as Interval[], 6: [] as Interval[] };

  /** Claims `c`; the caller has checked that it overlaps nothing. */
  add(c: Cidr): void {
    const interval = toInterval(c);
    const list = this.ranges[c.family];
    list.splice(this.firstAfter(list, interval.start), 0, interval);
  }

  /** A claimed prefix that overlaps `c` (contains it, equals it or lies inside it), if any. */
  overlap(c: Cidr): Cidr | undefined {
    const { start, end } = toInterval(c);
    const list = this.ranges[c.family];
    // The last range starting at or before `end` is the only one that can reach into [start, end].
    const candidate = list[this.firstAfter(list, end) - 1];
    return candidate && candidate.end >= start ? candidate.cidr : undefined;
  }

  /** Index of the first range starting after `value`. */
  private firstAfter(list: readonly Interval[], value: bigint): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function toInterval(c: Cidr): Interval {
  const width = c.family === 4 ? 32 : 128;
  const host = (1n << BigInt(width - c.prefixLength)) - 1n;
  const start = BigInt(`0x${ipToBytes(c.address).toString('hex')}`) & ~host;
  return { start, end: start | host, cidr: c };
}
