/** The spec's well-known error codes (0-99 reserved; 100+ belong to plugins). */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  /** Not in the spec's list; the Go library uses it for an unusable CNI_NETNS. */
  InvalidNetns: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

/** The error object a plugin prints on stdout, as the spec defines it. */
export interface CniErrorJSON {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/**
 * A CNI error: a code, a short message and optional details. Plugins throw these from handlers and
 * the skeleton prints `toJSON()` on stdout; the runtime side rejects with them when a plugin fails.
 */
export class CniError extends Error {
  override readonly name: string = 'CniError';
  /** The spec version the error is reported in; the skeleton sets it to the config's version. */
  cniVersion = '1.1.0';

  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(details ? `${msg}: ${details}` : msg);
  }

  toJSON(): CniErrorJSON {
    const out: CniErrorJSON = { cniVersion: this.cniVersion, code: this.code, msg: this.msg };
    if (this.details) out.details = this.details;
    return out;
  }
}

/** Code 1: the config's version is not one the plugin (or runtime) supports. */
export class IncompatibleVersionError extends CniError {
  override readonly name = 'IncompatibleVersionError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.IncompatibleVersion, msg, details);
  }
}

/** Code 2: a field the plugin does not support; the message names the key and value. */
export class UnsupportedFieldError extends CniError {
  override readonly name = 'UnsupportedFieldError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.UnsupportedField, msg, details);
  }
}

/** Code 3: the container is unknown or does not exist. */
export class UnknownContainerError extends CniError {
  override readonly name = 'UnknownContainerError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.UnknownContainer, msg, details);
  }
}

/** Code 4: missing or invalid CNI_* environment variables; the message names them. */
export class InvalidEnvironmentError extends CniError {
  override readonly name = 'InvalidEnvironmentError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.InvalidEnvironment, msg, details);
  }
}

/** Code 5: an I/O failure, e.g. reading stdin or writing the result. */
export class IoFailureError extends CniError {
  override readonly name = 'IoFailureError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.IoFailure, msg, details);
  }
}

/** Code 6: stdin (or a result) could not be decoded. */
export class DecodingFailureError extends CniError {
  override readonly name = 'DecodingFailureError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.DecodingFailure, msg, details);
  }
}

/** Code 7: the network configuration is invalid; the message names the field and value. */
export class InvalidNetworkConfigError extends CniError {
  override readonly name = 'InvalidNetworkConfigError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.InvalidNetworkConfig, msg, details);
  }
}

/** Code 8 (libcni's, not the spec's): CNI_NETNS is unusable, e.g. it is the plugin's own. */
export class InvalidNetnsError extends CniError {
  override readonly name = 'InvalidNetnsError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.InvalidNetns, msg, details);
  }
}

/** Code 11: a transient condition; the runtime should retry later. */
export class TryAgainLaterError extends CniError {
  override readonly name = 'TryAgainLaterError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.TryAgainLater, msg, details);
  }
}

/** Code 50 (STATUS): the plugin cannot serve ADD requests right now. */
export class PluginNotAvailableError extends CniError {
  override readonly name = 'PluginNotAvailableError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.PluginNotAvailable, msg, details);
  }
}

/** Code 51 (STATUS): not available, and existing containers may have limited connectivity. */
export class LimitedConnectivityError extends CniError {
  override readonly name = 'LimitedConnectivityError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.LimitedConnectivity, msg, details);
  }
}

/** Code 999: anything unexpected (the Go library uses the same code). */
export class InternalError extends CniError {
  override readonly name = 'InternalError';
  constructor(msg: string, details?: string) {
    super(ErrorCode.Internal, msg, details);
  }
}

const BY_CODE: ReadonlyMap<number, new (msg: string, details?: string) => CniError> = new Map<
  number,
  new (msg: string, details?: string) => CniError
>([
  [ErrorCode.IncompatibleVersion, IncompatibleVersionError],
  [ErrorCode.UnsupportedField, UnsupportedFieldError],
  [ErrorCode.UnknownContainer, UnknownContainerError],
  [ErrorCode.InvalidEnvironment, InvalidEnvironmentError],
  [ErrorCode.IoFailure, IoFailureError],
  [ErrorCode.DecodingFailure, DecodingFailureError],
  [ErrorCode.InvalidNetworkConfig, InvalidNetworkConfigError],
  [ErrorCode.InvalidNetns, InvalidNetnsError],
  [ErrorCode.TryAgainLater, TryAgainLaterError],
  [ErrorCode.PluginNotAvailable, PluginNotAvailableError],
  [ErrorCode.LimitedConnectivity, LimitedConnectivityError],
  [ErrorCode.Internal, InternalError],
]);

/** Builds the typed error for a code (a plain CniError for plugin-defined codes 100+). */
export function cniErrorFor(code: number, msg: string, details?: string): CniError {
  const Cls = BY_CODE.get(code);
  return Cls ? new Cls(msg, details) : new CniError(code, msg, details);
}

/**
 * Turns anything thrown into a CniError: CniErrors pass through, other errors become code 999
 * carrying their message (never their stack: that is for stderr at most).
 */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof Error) return new InternalError(e.message || e.name);
  return new InternalError(`unexpected error: ${String(e)}`);
}
