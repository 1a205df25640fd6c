// The start and stop of every Switchyard executable, so that each behaves the same to a user and
// to the kubelet: `--help`, exit 2 with the usage on a bad flag, exit 1 when it cannot start, and
// one graceful stop on SIGTERM or SIGINT.
import { FlagError, type FlagEnv } from './flags.js';
import { createLogger, type LogFields, type LogLevel, type Logger } from './logger.js';

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** What the graceful stop is told. */
export interface StopContext<O> {
  readonly signal: StopSignal;
  readonly options: O;
  readonly logger: Logger;
}

export interface AppMain<O extends { logLevel: LogLevel }, A> {
  /** The executable's name: it starts a flag error's line. */
  readonly name: string;
  /** Printed for `--help`/`-h` and after a flag error. */
  readonly usage: string;
  /** Fields on every log line (default `{ app: name }`). */
  readonly logFields?: LogFields;
  /** Reads the command line; a FlagError means exit 2, anything else is a bug and is thrown. */
  parse(argv: readonly string[], env: FlagEnv): O;
  /**
   * Starts the app; it runs until a signal. Resolving undefined means the command already did all
   * it had to (exit 0); throwing means it cannot run (logged, exit 1).
   */
  start(options: O, logger: Logger): Promise<A | undefined>;
  /** The graceful stop, called once, on the first signal; exit 0 when it resolves, 1 if it throws. */
  stop(app: A, context: StopContext<O>): Promise<void>;
}

/**
 * Runs an executable from `process.argv` and `process.env`. Resolves once the app has started
 * (the process then lives on its servers and timers); every other outcome ends the process with
 * its exit code. A signal that arrives while `start` is still running ends the process at once (exit 0): a
 * start can wait on the apiserver for as long as it is away, and nothing is serving yet.
 */
export async function runApp<O extends { logLevel: LogLevel }, A>(
  app: AppMain<O, A>,
): Promise<void> {
  const argv = process.argv.slice(2);
  const usage = `${app.usage.trimEnd()}\n`;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return process.exit(0);
  }
  let options: O;
  try {
    options = app.parse(argv, process.env);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`${app.name}: ${e.message}\n\n${usage}`);
    return process.exit(2);
  }
  const logger = createLogger({
    level: options.logLevel,
    fields: app.logFields ?? { app: app.name },
  });

  // Set once the start has finished.
  let running: { app: A } | undefined = undefined;
  let stopping = false;
  const stop = (signal: StopSignal): void => {
    if (stopping) return;
    stopping = true;
    if (!running) {
      logger.info('stopping before the start finished', { signal });
      process.exit(0);
    }
    const current = running.app;
    // Through a promise, so that a stop which throws at once is reported like one that rejects.
    Promise.resolve()
      .then(() => app.stop(current, { signal, options, logger }))
      .then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error('stop failed', { error: String(e) });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  let started: A | undefined;
  try {
    started = await app.start(options, logger);
  } catch (e) {
    logger.error('cannot start', { error: String(e) });
    return process.exit(1);
  }
  if (started === undefined) return process.exit(0);
  running = { app: started };
}
