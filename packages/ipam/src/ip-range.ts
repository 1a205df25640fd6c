import { Cidr } from './cidr.js';
import { InvalidAddressError, InvalidRangeError } from './errors.js';
import { IpAddress } from './ip-address.js';

/** One entry of host-local's `ranges` (or its legacy top-level fields), as written in JSON. */
export interface RangeConfig {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/**
 * An allocatable range inside a subnet, with host-local's defaults filled in: the gateway is the
 * network address + 1, `start` is network + 1, `end` is the last address (minus the broadcast for
 * IPv4; IPv6 has no broadcast, so the all-ones address is usable). Both ends are inclusive. The
 * gateway is never handed out even when it lies inside [start, end].
 */
export class IpRange {
  private constructor(
    readonly subnet: Cidr,
    readonly start: IpAddress,
    readonly end: IpAddress,
    readonly gateway: IpAddress,
  ) {}

  /**
   * Validates one range the way host-local's Canonicalize does, plus one rule host-local 1.1.1
   * skips: the gateway must be inside the subnet. An explicit rangeStart/rangeEnd may be the
   * network or broadcast address (host-local allows that too); the defaults never are.
   * `field` names the place in the config for error messages (`ipam.ranges[0][1]`).
   */
  static fromConfig(config: RangeConfig, field = 'range'): IpRange {
    if (typeof config !== 'object' || config === null || typeof config.subnet !== 'string') {
      throw new InvalidRangeError('a range needs a "subnet" string', field);
    }
    const subnet = withField(() => Cidr.parse(config.subnet), `${field}.subnet`);
    if (subnet.prefix > subnet.network.bits - 2) {
      throw new InvalidRangeError(
        `network ${subnet.toString()} too small to allocate from`,
        `${field}.subnet`,
      );
    }
    const inSubnet = (key: 'rangeStart' | 'rangeEnd' | 'gateway'): IpAddress | undefined => {
      const text = config[key];
      if (text === undefined) return undefined;
      if (typeof text !== 'string') {
        throw new InvalidRangeError('must be an IP address string', `${field}.${key}`);
      }
      const ip = withField(() => IpAddress.parse(text), `${field}.${key}`);
      if (!subnet.contains(ip)) {
        throw new InvalidRangeError(
          `${ip.toString()} not in network ${subnet.toString()}`,
          `${field}.${key}`,
        );
      }
      return ip;
    };
    const gateway = inSubnet('gateway') ?? subnet.at(1n);
    const start = inSubnet('rangeStart') ?? subnet.at(1n);
    const end = inSubnet('rangeEnd') ?? subnet.at(subnet.family === 4 ? -2n : -1n);
    if (start.compare(end) > 0) {
      throw new InvalidRangeError(
        `rangeStart ${start.toString()} is after rangeEnd ${end.toString()}`,
        field,
      );
    }
    return new IpRange(subnet, start, end, gateway);
  }

  get family(): 4 | 6 {
    return this.subnet.family;
  }

  /** True when `address` is in [start, end] (the gateway included: it is in the range, just never given). */
  contains(address: IpAddress): boolean {
    return (
      address.family === this.family &&
      address.value >= this.start.value &&
      address.value <= this.end.value
    );
  }

  /** True when the two ranges share an address. Different families never overlap. */
  overlaps(other: IpRange): boolean {
    return (
      this.family === other.family &&
      this.start.value <= other.end.value &&
      other.start.value <= this.end.value
    );
  }

  /** How many addresses can be handed out: [start, end] minus the gateway when it falls inside. */
  get usable(): bigint {
    const all = this.end.value - this.start.value + 1n;
    return this.contains(this.gateway) ? all - 1n : all;
  }

  /** `start-end`, as host-local prints a range in its messages. */
  toString(): string {
    return `${this.start.toString()}-${this.end.toString()}`;
  }

  /** The range back in config form, with every default written out. */
  toConfig(): Required<RangeConfig> {
    return {
      subnet: this.subnet.toString(),
      rangeStart: this.start.toString(),
      rangeEnd: this.end.toString(),
      gateway: this.gateway.toString(),
    };
  }
}

function withField<T>(parse: () => T, field: string): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof InvalidAddressError) throw new InvalidRangeError(e.message, field);
    throw e;
  }
}
