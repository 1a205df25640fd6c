/** Configuration or local-node input the overlay cannot work with; nothing was changed. */
export class OverlayError extends Error {
  override readonly name = 'OverlayError';
  constructor(
    message: string,
    /** The offending field, e.g. `config.vni` or `node.podCIDRs`. */
    readonly field: string,
  ) {
    super(message);
  }
}
