/** An Ingress or HTTPRoute could not be compiled; `field` names the offending part of the object. */
export class RouteCompileError extends Error {
  override readonly name = 'RouteCompileError';
  constructor(
    message: string,
    readonly source: string,
    readonly field: string,
  ) {
    super(`${source}: ${field}: ${message}`);
  }
}

/** A PEM certificate/key pair was unusable; the TLS store is left unchanged. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  constructor(
    message: string,
    readonly hosts: readonly string[],
  ) {
    super(`${hosts.join(',') || '(no hosts)'}: ${message}`);
  }
}

/** A request target we refuse to route (bad encoding, encoded slash, NUL); answered with `status`. */
export class RequestPathError extends Error {
  override readonly name = 'RequestPathError';
  readonly status = 400;
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** An upstream response we refuse to relay (ambiguous or malformed framing); the client gets 502. */
export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
  readonly status = 502;
}

/** A header name or value that cannot be written on the wire (CR, LF, NUL, not a token). */
export class InvalidHeaderError extends Error {
  override readonly name = 'InvalidHeaderError';
  constructor(readonly header: string) {
    super(`invalid header ${JSON.stringify(header)}`);
  }
}
