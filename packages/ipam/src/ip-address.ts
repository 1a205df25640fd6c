import { InvalidAddressError } from './errors.js';

export type IpFamily = 4 | 6;

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/**
 * An IPv4 or IPv6 address held as a bigint, so the same arithmetic serves both families.
 * Immutable; compare with `equals`/`compare`, never `===`.
 */
export class IpAddress {
  private constructor(
    readonly family: IpFamily,
    readonly value: bigint,
  ) {}

  /** Number of bits in an address of this family (32 or 128). */
  get bits(): number {
    return BITS[this.family];
  }

  /**
   * Parses dotted-quad IPv4 or RFC 4291 IPv6 text. Like Go's net.ParseIP plus CNI's
   * canonicalization (what host-local does), an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is
   * taken as the IPv4 address. IPv4 octets with leading zeros and IPv6 zones are rejected.
   */
  static parse(text: string): IpAddress {
    const ip = text.includes(':') ? parseV6(text) : parseV4(text);
    // ::ffff:0:0/96
    if (ip.family === 6 && ip.value >> 32n === 0xffffn) {
      return new IpAddress(4, ip.value & 0xffffffffn);
    }
    return ip;
  }

  /** Like `parse`, but returns undefined instead of throwing. */
  static tryParse(text: string): IpAddress | undefined {
    try {
      return IpAddress.parse(text);
    } catch {
      return undefined;
    }
  }

  /** Builds an address from its numeric value; throws if the value does not fit the family. */
  static fromBigInt(family: IpFamily, value: bigint): IpAddress {
    if (value < 0n || value >> BigInt(BITS[family]) !== 0n) {
      throw new InvalidAddressError(value.toString(), `out of range for IPv${family}`);
    }
    return new IpAddress(family, value);
  }

  /**
   * Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest run of two or more zero
   * groups shortened to `::`, the first run on a tie). This is also what Go's net.IP.String()
   * prints, so it is the file name host-local uses for the address.
   */
  toString(): string {
    return this.family === 4 ? formatV4(this.value) : formatV6(this.value);
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: IpAddress): boolean {
    return this.family === other.family && this.value === other.value;
  }

  /** Orders IPv4 before IPv6, then numerically. */
  compare(other: IpAddress): number {
    if (this.family !== other.family) return this.family - other.family;
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  /** The address `n` steps away; throws when that leaves the family's address space. */
  add(n: bigint | number): IpAddress {
    return IpAddress.fromBigInt(this.family, this.value + BigInt(n));
  }
}

function parseV4(text: string): IpAddress {
  const parts = text.split('.');
  if (parts.length !== 4) throw new InvalidAddressError(text, 'IPv4 needs four octets');
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) {
      throw new InvalidAddressError(text, `bad octet ${JSON.stringify(part)}`);
    }
    value = (value << 8n) | BigInt(part);
  }
  return IpAddress.fromBigInt(4, value);
}

function parseV6(text: string): IpAddress {
  if (text.includes('%')) throw new InvalidAddressError(text, 'zones are not supported');
  const halves = text.split('::');
  if (halves.length > 2) throw new InvalidAddressError(text, 'more than one "::"');
  const head = groupsOf(text, halves[0]!, false);
  const tail = halves.length === 2 ? groupsOf(text, halves[1]!, true) : [];
  const given = head.length + tail.length;
  if (halves.length === 1 && given !== 8) {
    throw new InvalidAddressError(text, 'IPv6 needs eight groups or "::"');
  }
  // Like Go, "::" must stand for at least one zero group.
  if (halves.length === 2 && given > 7) {
    throw new InvalidAddressError(text, '"::" must replace at least one group');
  }
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...tail];
  return IpAddress.fromBigInt(6, join(groups));
}

/** Splits one side of "::" into 16-bit groups; an IPv4 dotted quad may end the address. */
function groupsOf(text: string, side: string, isTail: boolean): number[] {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    if (part.includes('.')) {
      // A trailing dotted quad is only allowed at the very end of the whole address.
      const endsAddress = last && (isTail || !text.includes('::'));
      if (!endsAddress) throw new InvalidAddressError(text, 'embedded IPv4 must come last');
      const v4 = parseV4(part).value;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      throw new InvalidAddressError(text, `bad group ${JSON.stringify(part)}`);
    }
  }
  return groups;
}

function join(groups: readonly number[]): bigint {
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

function formatV4(value: bigint): string {
  const n = Number(value);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never shortened
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}
