/**
 * A DNS message could not be parsed; `offset` is where the decoder gave up. (readHeader still
 * reads the ID of any buffer of 12 bytes or more, which is how a FORMERR reply gets its ID.)
 */
export class DnsDecodeError extends Error {
  override readonly name = 'DnsDecodeError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** A record or name cannot be put on the wire (label over 63 bytes, name over 255, bad rdata). */
export class DnsEncodeError extends Error {
  override readonly name = 'DnsEncodeError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A Kubernetes object handed to the zone lacks a field the zone needs; the zone is unchanged. */
export class ZoneInputError extends Error {
  override readonly name = 'ZoneInputError';
  constructor(
    readonly kind: string,
    readonly field: string,
    message: string,
  ) {
    super(`${kind}: ${field}: ${message}`);
  }
}

/** A resolv.conf line or an upstream address could not be understood. */
export class ResolvConfError extends Error {
  override readonly name = 'ResolvConfError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`resolv.conf line ${line}: ${message}`);
  }
}

/** An option passed to the resolver, forwarder or servers is out of range or malformed. */
export class DnsConfigError extends Error {
  override readonly name = 'DnsConfigError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}
