import { ipToBytes, type Cidr } from '@switchyard/linux';

/**
 * Prefixes claimed so far, answering "does this one overlap any of them?" in O(address width)
 * instead of comparing against each: every claimed prefix also records all its ancestors.
 */
export class PrefixSet {
  private readonly exact = new Map<string, Cidr>();
  private readonly ancestors = new Set<string>();

  add(c: Cidr): void {
    const bits = toBits(c);
    this.exact.set(key(c.family, c.prefixLength, bits), c);
    for (let q = 0; q <= c.prefixLength; q++) this.ancestors.add(key(c.family, q, bits));
  }

  /** A claimed prefix that overlaps `c` (contains it, equals it or lies inside it), if any. */
  overlap(c: Cidr): Cidr | undefined {
    const bits = toBits(c);
    for (let q = 0; q <= c.prefixLength; q++) {
      const hit = this.exact.get(key(c.family, q, bits));
      if (hit) return hit;
    }
    if (!this.ancestors.has(key(c.family, c.prefixLength, bits))) return undefined;
    const prefix = bits.slice(0, c.prefixLength);
    return [...this.exact.values()].find(
      (t) => t.family === c.family && toBits(t).startsWith(prefix),
    );
  }
}

function toBits(c: Cidr): string {
  return [...ipToBytes(c.address)].map((b) => b.toString(2).padStart(8, '0')).join('');
}

function key(family: 4 | 6, length: number, bits: string): string {
  return `${family}/${bits.slice(0, length)}`;
}
