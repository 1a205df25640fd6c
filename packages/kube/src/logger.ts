import { KubeOptionError } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ informer: 'pods' }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped; default `info`. */
  level?: LogLevel;
  /** Where lines go; default process.stdout. */
  write?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
  /** Clock for `time`; default Date.now. */
  now?: () => number;
}

/**
 * Structured logs: one JSON object per line, `{"time","level","msg",...fields}`. Errors in fields
 * become `{name, message, status?}`; values JSON cannot carry (bigint, cycles) never throw.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (!(level in LEVELS)) throw new KubeOptionError('level', `unknown log level ${String(level)}`);
  const min = LEVELS[level];
  const write = opts.write ?? ((line: string): void => void process.stdout.write(line));
  const now = opts.now ?? Date.now;
  const make = (base: LogFields): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
      if (LEVELS[lvl] < min) return;
      write(
        formatLine({ time: new Date(now()).toISOString(), level: lvl, msg, ...base, ...fields }),
      );
    };
    return {
      debug: (msg, f) => emit('debug', msg, f),
      info: (msg, f) => emit('info', msg, f),
      warn: (msg, f) => emit('warn', msg, f),
      error: (msg, f) => emit('error', msg, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.fields ?? {});
}

/** A logger that drops everything (the default where a logger is optional). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

function formatLine(record: LogFields): string {
  const seen = new WeakSet<object>();
  const replacer = (_key: string, value: unknown): unknown => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) {
      const status = (value as { status?: unknown }).status;
      return {
        name: value.name,
        message: value.message,
        ...(status !== undefined ? { status } : {}),
      };
    }
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  };
  return JSON.stringify(record, replacer) + '\n';
}
