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

/** A command-line flag that is unknown, missing its value, or has a bad one. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
  }
}
