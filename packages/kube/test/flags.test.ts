import { describe, expect, it } from 'vitest';
import {
  commaList,
  duration,
  ipAddress,
  listenPort,
  logLevel,
  oneOf,
  port,
  wholeNumber,
} from '../src/flag-readers.js';
import {
  FlagError,
  appendTo,
  field,
  flagTokens,
  parseFlagTable,
  switchFlag,
  valueFlag,
  type FlagTable,
} from '../src/flags.js';
import type { LogLevel } from '../src/logger.js';

interface Opts {
  name: string;
  port: number;
  peers: string[];
  dryRun: boolean;
  level: LogLevel;
  mode?: 'a' | 'b';
}

const TABLE: FlagTable<Opts> = {
  '--name': field('name', (_f, v) => v, 'NAME'),
  '--port': field('port', port, 'PORT'),
  '--peer': appendTo('peers', ipAddress),
  '--dry-run': switchFlag((o) => (o.dryRun = true)),
  '--level': field('level', logLevel),
  '--mode': valueFlag((o, v, flag) => (o.mode = oneOf(['a', 'b'] as const)(flag, v))),
};

const parse = (argv: string[], env: Record<string, string> = {}): Opts =>
  parseFlagTable(
    argv,
    TABLE,
    { name: 'n', port: 80, peers: [], dryRun: false, level: 'info' },
    env,
  );

/** The FlagError `f` throws (fails the test when it throws nothing or something else). */
function flagError(f: () => unknown): FlagError {
  try {
    f();
  } catch (e) {
    if (e instanceof FlagError) return e;
    throw e;
  }
  throw new Error('no FlagError thrown');
}

describe('flagTokens', () => {
  const known = (name: string): boolean | undefined =>
    ({ '--a': true, '--s': false })[name as '--a' | '--s'];

  it('yields `--x v`, `--x=v` (a value may hold `=` and start with `--`) and switches in order', () => {
    expect([...flagTokens(['--a', 'one', '--s', '--a=x=y', '--a=--z', '--a='], known)]).toEqual([
      { name: '--a', value: 'one' },
      { name: '--s', value: undefined },
      { name: '--a', value: 'x=y' },
      { name: '--a', value: '--z' },
      { name: '--a', value: '' },
    ]);
  });

  it.each([
    [['--b'], '--b: unknown flag'],
    [['--a'], '--a: needs a value'],
    [['--a', '--s'], '--a: needs a value'],
    [['--s=1'], '--s: takes no value'],
    [['stray'], 'stray: not a flag'],
    [['-a'], '-a: not a flag'],
    [['--'], '--: not a flag'],
  ])('refuses %j', (argv, message) => {
    const e = flagError(() => [...flagTokens(argv, known)]);
    expect(e.message).toBe(message);
    expect(e.flag).toBe(message.split(':')[0]);
  });
});

describe('parseFlagTable', () => {
  it('keeps the defaults without flags and fills the state it was given', () => {
    expect(parse([])).toEqual({ name: 'n', port: 80, peers: [], dryRun: false, level: 'info' });
  });

  it('applies flags in order: the last value wins, repeatable flags accumulate', () => {
    const o = parse([
      '--port=81',
      '--peer',
      '10.0.0.1',
      '--port',
      '82',
      '--peer=fd00::1',
      '--dry-run',
      '--level=debug',
      '--mode',
      'b',
    ]);
    expect(o).toEqual({
      name: 'n',
      port: 82,
      peers: ['10.0.0.1', 'fd00::1'],
      dryRun: true,
      level: 'debug',
      mode: 'b',
    });
  });

  it('takes a variable only for an absent flag, ignores an empty one, and checks it as the flag', () => {
    expect(parse([], { NAME: 'from-env', PORT: '8080' })).toMatchObject({
      name: 'from-env',
      port: 8080,
    });
    expect(parse(['--name=cli'], { NAME: 'from-env', PORT: '' })).toMatchObject({
      name: 'cli',
      port: 80,
    });
    // A flag on the command line wins even over a variable that would not parse.
    expect(parse(['--port=1'], { PORT: 'x' }).port).toBe(1);
    expect(flagError(() => parse([], { PORT: 'x' })).message).toBe(
      '--port: must be a whole number from 1 to 65535, got x',
    );
  });

  it('does not take inherited names for flags', () => {
    expect(flagError(() => parse(['--constructor'])).message).toBe('--constructor: unknown flag');
    expect(flagError(() => parse(['--toString=x'])).message).toBe('--toString: unknown flag');
  });
});

describe('readers', () => {
  it('read whole numbers within bounds, in decimal digits only', () => {
    const n = wholeNumber(2, 10);
    expect(['2', '10', '007'].map((t) => n('--n', t))).toEqual([2, 10, 7]);
    for (const bad of ['1', '11', '-3', '3.0', '1e1', '0x5', ' 4', ''])
      expect(flagError(() => n('--n', bad)).message).toBe(
        `--n: must be a whole number from 2 to 10, got ${bad}`,
      );
  });

  it('read ports: 1-65535 to connect to, 0-65535 to listen on', () => {
    expect(port('--p', '65535')).toBe(65535);
    expect(() => port('--p', '0')).toThrow(FlagError);
    expect(listenPort('--p', '0')).toBe(0);
    expect(() => listenPort('--p', '65536')).toThrow('--p: must be a whole number from 0 to 65535');
  });

  it('read IPv4 and IPv6 addresses and nothing else', () => {
    expect(ipAddress('--ip', '192.0.2.1')).toBe('192.0.2.1');
    expect(ipAddress('--ip', '2001:db8::1')).toBe('2001:db8::1');
    for (const bad of ['eth0', '192.0.2.256', '10.0.0.0/8', 'localhost'])
      expect(flagError(() => ipAddress('--ip', bad)).message).toBe(
        `--ip: must be an IP address, got ${bad}`,
      );
  });

  it('read durations in ms, s, m, h and plain seconds, from 1 ms to a day', () => {
    expect(
      ['500ms', '1s', '1.5', '2m', '1h', '24h', '0.001'].map((t) => duration('--d', t)),
    ).toEqual([500, 1000, 1500, 120_000, 3_600_000, 86_400_000, 1]);
    for (const bad of ['0s', '25h', '2d', 'fast', '-1s', '1 s', ''])
      expect(() => duration('--d', bad)).toThrow(/^--d: must be a duration/);
  });

  it('read one of a set of words, listing them in the error', () => {
    expect(oneOf(['x', 'y'])('--w', 'y')).toBe('y');
    expect(flagError(() => oneOf(['x', 'y', 'z'])('--w', 'q')).message).toBe(
      '--w: must be x, y or z, got q',
    );
    expect(flagError(() => logLevel('--log-level', 'loud')).message).toBe(
      '--log-level: must be one of debug, info, warn or error, got loud',
    );
    expect(flagError(() => oneOf(['only'])('--w', 'q')).message).toBe('--w: must be only, got q');
  });

  it('read comma lists, trimming items and dropping empty ones, each item checked', () => {
    const ips = commaList(ipAddress);
    expect(ips('--ips', ' 10.0.0.1, fd00::1 ,,')).toEqual(['10.0.0.1', 'fd00::1']);
    expect(ips('--ips', '')).toEqual([]);
    expect(flagError(() => ips('--ips', '10.0.0.1,eth0')).message).toBe(
      '--ips: must be an IP address, got eth0',
    );
  });
});
