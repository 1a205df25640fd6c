// Command lines of the Switchyard executables: `--flag value` and `--flag=value`, switches without
// a value, repeatable flags, and environment variables standing in for absent flags. An app keeps
// only its table (flag -> where the value goes); readers for the value types are in flag-readers.ts.

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

/** Turns the text of one flag's value into what the app keeps; throws FlagError naming `flag`. */
export type FlagReader<T> = (flag: string, text: string) => T;

/** Environment variables, as `process.env` holds them. */
export type FlagEnv = Readonly<Record<string, string | undefined>>;

/** A flag that takes a value. */
export interface ValueFlag<S> {
  readonly kind: 'value';
  /** Read when the flag is not on the command line (an empty variable counts as unset). */
  readonly env?: string;
  set(state: S, text: string, flag: string): void;
}

/** A flag that takes no value (`--cleanup`). */
export interface SwitchFlag<S> {
  readonly kind: 'switch';
  set(state: S): void;
}

export type FlagSpec<S> = ValueFlag<S> | SwitchFlag<S>;

/** Every flag a command accepts, by its full name (`--dns-port`). */
export type FlagTable<S> = Readonly<Record<string, FlagSpec<S>>>;

export interface FlagToken {
  readonly name: string;
  /** Undefined for a switch. */
  readonly value: string | undefined;
}

/**
 * Splits a command line into flags and their values. `takesValue(name)` says whether a flag takes
 * a value (true), is a switch (false) or is unknown (undefined). A value in the next argument may
 * not start with `--` (that is a forgotten value); `--flag=--x` passes one that does.
 */
export function* flagTokens(
  argv: readonly string[],
  takesValue: (name: string) => boolean | undefined,
): Generator<FlagToken> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') throw new FlagError(arg, 'not a flag');
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const wantsValue = takesValue(name);
    if (wantsValue === undefined) throw new FlagError(name, 'unknown flag');
    if (!wantsValue) {
      if (eq > 0) throw new FlagError(name, 'takes no value');
      yield { name, value: undefined };
    } else if (eq > 0) {
      yield { name, value: arg.slice(eq + 1) };
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(name, 'needs a value');
      i++;
      yield { name, value: next };
    }
  }
}

/**
 * Applies a command line to `state` (which holds the defaults) through `table`, in command-line
 * order so that later flags win. A value flag with an `env` variable that is absent from the
 * command line takes the variable's value, through the same setter: flags win over variables,
 * variables over defaults, and a bad variable is reported under its flag's name.
 */
export function parseFlagTable<S>(
  argv: readonly string[],
  table: FlagTable<S>,
  state: S,
  env: FlagEnv = {},
): S {
  const spec = (name: string): FlagSpec<S> | undefined =>
    Object.hasOwn(table, name) ? table[name] : undefined;
  const takesValue = (name: string): boolean | undefined => {
    const s = spec(name);
    return s === undefined ? undefined : s.kind === 'value';
  };
  const tokens = [...flagTokens(argv, takesValue)];
  const given = new Set(tokens.map((t) => t.name));
  for (const [name, s] of Object.entries(table)) {
    const text = s.kind === 'value' && s.env !== undefined ? env[s.env] : undefined;
    if (text && !given.has(name)) s.set(state, text, name);
  }
  for (const { name, value } of tokens) {
    const s = spec(name)!;
    if (s.kind === 'switch') s.set(state);
    else s.set(state, value!, name);
  }
  return state;
}

/** A value flag whose value `set` applies (for values that go somewhere other than one field). */
export function valueFlag<S>(
  set: (state: S, text: string, flag: string) => void,
  env?: string,
): ValueFlag<S> {
  return env === undefined ? { kind: 'value', set } : { kind: 'value', env, set };
}

/** A flag without a value. */
export function switchFlag<S>(set: (state: S) => void): SwitchFlag<S> {
  return { kind: 'switch', set };
}

/** A value flag that stores `read(value)` in `state[key]`; the last one given wins. */
export function field<S, K extends keyof S>(
  key: K,
  read: FlagReader<S[K]>,
  env?: string,
): ValueFlag<S> {
  return valueFlag((state, text, flag) => {
    state[key] = read(flag, text);
  }, env);
}

/** A repeatable value flag: each one given appends `read(value)` to the list in `state[key]`. */
export function appendTo<S extends Record<K, T[]>, K extends keyof S, T>(
  key: K,
  read: FlagReader<T>,
): ValueFlag<S> {
  return valueFlag((state, text, flag) => {
    state[key].push(read(flag, text));
  });
}
