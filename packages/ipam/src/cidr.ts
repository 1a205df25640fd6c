import { InvalidAddressError } from './errors.js';
import { IpAddress, type IpFamily } from './ip-address.js';

export interface CidrParseOptions {
  /** Accept `10.0.0.5/24` and keep its network (`10.0.0.0/24`) instead of rejecting it. */
  allowHostBits?: boolean;
}

/** An IPv4 or IPv6 prefix (`10.244.1.0/24`, `fd00:10::/64`), always held by its network address. */
export class Cidr {
  private constructor(
    readonly network: IpAddress,
    readonly prefix: number,
  ) {}

  /**
   * Parses `address/prefix`. Host bits set are an error (as in host-local: "network has host bits
   * set") unless `allowHostBits`. IPv4-mapped IPv6 prefixes are rejected: host-local cannot
   * allocate from them either.
   */
  static parse(text: string, options: CidrParseOptions = {}): Cidr {
    const slash = text.indexOf('/');
    if (slash < 0) throw new InvalidAddressError(text, 'missing "/prefix"');
    const addressText = text.slice(0, slash);
    const prefixText = text.slice(slash + 1);
    const address = IpAddress.parse(addressText);
    if (address.family === 4 && addressText.includes(':')) {
      throw new InvalidAddressError(text, 'IPv4-mapped IPv6 prefixes are not supported');
    }
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > address.bits) {
      throw new InvalidAddressError(text, `prefix length must be 0-${address.bits}`);
    }
    const cidr = Cidr.of(address, Number(prefixText));
    if (!options.allowHostBits && !cidr.network.equals(address)) {
      throw new InvalidAddressError(
        text,
        `host bits set; the network for /${prefixText} is ${cidr.network.toString()}`,
      );
    }
    return cidr;
  }

  /** The prefix of length `prefix` that contains `address`. */
  static of(address: IpAddress, prefix: number): Cidr {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > address.bits) {
      throw new InvalidAddressError(`${address.toString()}/${prefix}`, 'bad prefix length');
    }
    const hostBits = BigInt(address.bits - prefix);
    const network = (address.value >> hostBits) << hostBits;
    return new Cidr(IpAddress.fromBigInt(address.family, network), prefix);
  }

  get family(): IpFamily {
    return this.network.family;
  }

  /** Number of addresses in the prefix, network and broadcast included. */
  get size(): bigint {
    return 1n << BigInt(this.network.bits - this.prefix);
  }

  /** The first address (the network address). */
  get first(): IpAddress {
    return this.network;
  }

  /** The last address (the IPv4 broadcast address, or the all-ones IPv6 address). */
  get last(): IpAddress {
    return this.network.add(this.size - 1n);
  }

  /** The netmask as an address (`255.255.255.0`, `ffff:ffff:ffff:ffff::`). */
  get mask(): IpAddress {
    const all = (1n << BigInt(this.network.bits)) - 1n;
    return IpAddress.fromBigInt(this.family, all ^ (this.size - 1n));
  }

  contains(address: IpAddress): boolean {
    return (
      address.family === this.family &&
      address.value >= this.network.value &&
      address.value <= this.last.value
    );
  }

  /** True when every address of `other` is in this prefix. */
  covers(other: Cidr): boolean {
    return (
      other.family === this.family && other.prefix >= this.prefix && this.contains(other.network)
    );
  }

  /** True when the two prefixes share at least one address (prefixes either nest or are disjoint). */
  overlaps(other: Cidr): boolean {
    return this.covers(other) || other.covers(this);
  }

  /**
   * The address at `offset` from the network address; a negative offset counts back from the end
   * (`-1n` is the last address). Throws when the offset falls outside the prefix.
   */
  at(offset: bigint): IpAddress {
    const index = offset < 0n ? this.size + offset : offset;
    if (index < 0n || index >= this.size) {
      throw new InvalidAddressError(`${this.toString()}[${offset}]`, 'offset outside the prefix');
    }
    return this.network.add(index);
  }

  /** How far `address` is from the network address; throws when it is outside the prefix. */
  offsetOf(address: IpAddress): bigint {
    if (!this.contains(address)) {
      throw new InvalidAddressError(address.toString(), `not in ${this.toString()}`);
    }
    return address.value - this.network.value;
  }

  /** Every address from `from` (default: the network address) to the last one, in order. */
  *addresses(from: IpAddress = this.network): Generator<IpAddress> {
    if (!this.contains(from)) return;
    const end = this.last.value;
    for (let v = from.value; v <= end; v++) yield IpAddress.fromBigInt(this.family, v);
  }

  equals(other: Cidr): boolean {
    return this.prefix === other.prefix && this.network.equals(other.network);
  }

  toString(): string {
    return `${this.network.toString()}/${this.prefix}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
