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

/** An IP address, prefix or MAC address that does not parse. */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
  }
}

/** The kernel rejected a netlink request; `code` is the errno name (EEXIST, ENODEV, ...). */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
  constructor(
    readonly operation: string,
    readonly code: string,
  ) {
    super(`${operation}: ${code}`);
  }
}

/** The setns(2) addon could not be built or loaded. */
export class NativeAddonError extends Error {
  override readonly name = 'NativeAddonError';
}
