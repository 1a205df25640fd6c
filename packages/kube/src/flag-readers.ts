// The value types the Switchyard command lines share. Each reader names the flag in its error, so
// a user sees which of a dozen flags (or of the variables standing in for them) was wrong.
import { isIP } from 'node:net';
import { FlagError, type FlagReader } from './flags.js';
import type { LogLevel } from './logger.js';

/** The value as given. */
export const text: FlagReader<string> = (_flag, value) => value;

/** Decimal digits only (no sign, exponent or fraction), from `min` to `max`. */
export function wholeNumber(min: number, max: number): FlagReader<number> {
  return (flag, value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new FlagError(flag, `must be a whole number from ${min} to ${max}, got ${value}`);
    return n;
  };
}

/** A TCP or UDP port to connect to or to publish: 1 to 65535. */
export const port: FlagReader<number> = wholeNumber(1, 65535);

/** A port to listen on: 0 to 65535, where 0 lets the kernel pick a free one. */
export const listenPort: FlagReader<number> = wholeNumber(0, 65535);

/** An IPv4 or IPv6 address, as written. */
export const ipAddress: FlagReader<string> = (flag, value) => {
  if (isIP(value) === 0) throw new FlagError(flag, `must be an IP address, got ${value}`);
  return value;
};

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `500ms`, `1s`, `2m`, `1h`, or plain seconds (`1.5`); from 1 ms to a
 * day (kube-proxy's periods are written this way).
 */
export const duration: FlagReader<number> = (flag, value) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 's']! : NaN;
  if (!(ms >= 1 && ms <= 86_400_000))
    throw new FlagError(flag, `must be a duration like 500ms, 1s, 2m or 1h, got ${value}`);
  return Math.round(ms);
};

/** One of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): FlagReader<T> {
  const listed =
    choices.length < 2
      ? choices.join('')
      : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
  // A short list reads as a sentence; a longer one is introduced.
  const expected = choices.length > 3 ? `one of ${listed}` : listed;
  return (flag, value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new FlagError(flag, `must be ${expected}, got ${value}`);
    return value as T;
  };
}

/** The levels of createLogger, for `--log-level`. */
export const logLevel: FlagReader<LogLevel> = oneOf<LogLevel>(['debug', 'info', 'warn', 'error']);

/** A comma-separated list (`a, b,c`): blanks around items and empty items are dropped. */
export function commaList<T>(read: FlagReader<T>): FlagReader<T[]> {
  return (flag, value) =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => read(flag, s));
}
