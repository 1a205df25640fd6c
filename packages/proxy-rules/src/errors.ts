/** The node description (or an option) is unusable; nothing was generated. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    message: string,
    /** Dotted path of the offending field, e.g. `node.clusterCIDRs[1]`. */
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The tracer met a packet description it cannot walk, or a rule it does not understand. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
}
