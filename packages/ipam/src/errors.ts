/**
 * Every error this package throws. `cniCode` is the CNI error code a plugin should report, so the
 * `switchyard-ipam` executable (and any other caller speaking CNI) maps errors without guessing:
 * 5 I/O, 7 invalid config, 11 try again, and plugin-specific codes from 100 (the spec leaves 100+ free).
 */
export abstract class IpamError extends Error {
  abstract readonly cniCode: number;
}

/** Text that is not an IP address or CIDR prefix. */
export class InvalidAddressError extends IpamError {
  override readonly name = 'InvalidAddressError';
  readonly cniCode = 7;
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid address ${JSON.stringify(input)}: ${reason}`);
  }
}

/** A range or range set that cannot be allocated from (too small, overlapping, gateway outside...). */
export class InvalidRangeError extends IpamError {
  override readonly name = 'InvalidRangeError';
  readonly cniCode = 7;
  constructor(
    message: string,
    /** Where in the configuration, e.g. `ipam.ranges[1][0].gateway`, when known. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** The IPAM configuration is missing something or has a value of the wrong shape. */
export class IpamConfigError extends IpamError {
  override readonly name = 'IpamConfigError';
  readonly cniCode = 7;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** Every address of a range set is taken. */
export class RangeExhaustedError extends IpamError {
  override readonly name = 'RangeExhaustedError';
  readonly cniCode = 100;
  constructor(readonly rangeSet: string) {
    super(`no IP addresses available in range set ${rangeSet}`);
  }
}

/** The attachment (containerID, ifname) already holds an address in this range set. */
export class AlreadyAllocatedError extends IpamError {
  override readonly name = 'AlreadyAllocatedError';
  readonly cniCode = 101;
  constructor(
    readonly containerId: string,
    readonly ifName: string,
    readonly address: string,
  ) {
    super(
      `${address} is already allocated to ${containerId}/${ifName}; duplicate allocation is not allowed`,
    );
  }
}

/** A specifically requested address cannot be given (taken, the gateway, or in no range set). */
export class RequestedAddressError extends IpamError {
  override readonly name = 'RequestedAddressError';
  readonly cniCode = 102;
  constructor(
    message: string,
    readonly address: string,
  ) {
    super(message);
  }
}

/** CHECK found no address for the attachment in a range set. */
export class NotAllocatedError extends IpamError {
  override readonly name = 'NotAllocatedError';
  readonly cniCode = 103;
  constructor(
    readonly containerId: string,
    readonly ifName: string,
    rangeSet: string,
  ) {
    super(`no address allocated to ${containerId}/${ifName} in range set ${rangeSet}`);
  }
}

/** The store could not be read, written or locked. */
export class StoreError extends IpamError {
  override readonly name: string = 'StoreError';
  readonly cniCode: number = 5;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** Another process held the store lock longer than we were willing to wait; worth retrying. */
export class LockTimeoutError extends StoreError {
  override readonly name = 'LockTimeoutError';
  override readonly cniCode = 11;
}
