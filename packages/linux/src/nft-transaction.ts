import { CommandError } from './errors.js';
import { inNetns, type NetnsTarget } from './netns-enter.js';
import { run, type RunResult } from './run.js';

/** nft rejected a transaction (nothing of it was applied) or a listing failed. */
export class NftError extends Error {
  override readonly name = 'NftError';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface NftOptions {
  /** Run nft inside this namespace. */
  netns?: NetnsTarget;
}

/**
 * A batch of nft commands applied with one `nft -f -`: the kernel commits all of it or none of
 * it, so a sync never leaves a half-written rule set behind.
 */
export class NftTransaction {
  private readonly lines: string[] = [];

  add(...commands: string[]): this {
    this.lines.push(...commands);
    return this;
  }

  get size(): number {
    return this.lines.length;
  }

  get text(): string {
    return `${this.lines.join('\n')}\n`;
  }

  /** Validates without applying (`nft -c`). */
  async check(options: NftOptions = {}): Promise<void> {
    await nft(['-c', '-f', '-'], options, this.text);
  }

  async apply(options: NftOptions = {}): Promise<void> {
    await nft(['-f', '-'], options, this.text);
  }
}

/** Runs nft with the given arguments (and stdin), inside a namespace if asked. */
export async function nft(
  args: readonly string[],
  options: NftOptions = {},
  input?: string,
): Promise<string> {
  const argv = ['nft', ...args];
  const start = (): Promise<RunResult> => run(argv, input === undefined ? {} : { input });
  try {
    // A child forked while this thread is inside the namespace stays there.
    const result = await (options.netns === undefined ? start() : inNetns(options.netns, start));
    return result.stdout;
  } catch (e) {
    if (e instanceof CommandError) {
      throw new NftError(`nft ${args.join(' ')} failed: ${e.stderr.trim()}`, e.stderr);
    }
    throw e;
  }
}
