/**
 * The apiserver answered with a non-2xx status (or an ERROR watch event). `status` is the HTTP code
 * (403, 409, 410, ...), `reason` the Status reason (`Forbidden`, `Conflict`, `Expired`, ...).
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly verb: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    detail: string,
  ) {
    super(`${verb} ${path}: ${status} ${reason}${detail ? `: ${detail}` : ''}`);
  }
}

/** A request or watch failed below HTTP (connection refused/reset, TLS, timeout, bad JSON). */
export class KubeTransportError extends Error {
  override readonly name = 'KubeTransportError';
  constructor(
    readonly verb: string,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${verb} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A metric name, label or value that the Prometheus text format cannot carry. */
export class MetricError extends Error {
  override readonly name = 'MetricError';
}

/** An option that is out of range or inconsistent; thrown before anything starts. */
export class KubeOptionError extends Error {
  override readonly name = 'KubeOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** The HTTP status of an error from this package, or undefined for a transport failure. */
export function statusOf(e: unknown): number | undefined {
  return e instanceof KubeApiError ? e.status : undefined;
}
