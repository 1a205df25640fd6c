/** A command we ran exited non-zero or could not start; carries what a user needs to reproduce it. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    const why = signal ? `killed by ${signal}` : `exit ${exitCode}`;
    super(`${command.join(' ')}: ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  }
}

/** A network namespace name or operation was invalid. */
export class NetnsError extends Error {
  override readonly name = 'NetnsError';
  constructor(
    message: string,
    readonly netns: string,
  ) {
    super(message);
  }
}
