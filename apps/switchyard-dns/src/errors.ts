/** A Corefile that does not parse, or asks for something switchyard-dns does not do. */
export class CorefileError extends Error {
  override readonly name = 'CorefileError';
  constructor(
    message: string,
    /** 1-based line in the Corefile, when the problem has one. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `Corefile line ${line}: ${message}`);
  }
}

// One FlagError for every Switchyard command line (the flags are read by @switchyard/kube).
export { FlagError } from '@switchyard/kube';
