import { describe, expect, it } from 'vitest';
import { KubeOptionError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';

function capture(): {
  lines: string[];
  parsed: () => unknown[];
} {
  const lines: string[] = [];
  return {
    lines,
    parsed: () => lines.map((l) => JSON.parse(l) as unknown),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg and fields', () => {
    const out = capture();
    const log = createLogger({
      write: (l) => out.lines.push(l),
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
      fields: { app: 'proxy' },
    });
    log.info('synced', { objects: 3 });
    expect(out.lines).toEqual([
      '{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"synced","app":"proxy","objects":3}\n',
    ]);
  });

  it('drops lines below its level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', write: (l) => out.lines.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(out.parsed().map((l) => (l as { level: string }).level)).toEqual(['warn', 'error']);
  });

  it('adds child fields to every line of the child only', () => {
    const out = capture();
    const log = createLogger({ write: (l) => out.lines.push(l) });
    const child = log.child({ informer: 'pods' }).child({ shard: 1 });
    child.info('a');
    log.info('b');
    expect(out.parsed()).toMatchObject([{ msg: 'a', informer: 'pods', shard: 1 }, { msg: 'b' }]);
    expect(out.parsed()[1]).not.toHaveProperty('informer');
  });

  it('carries errors, bigints and cycles without throwing', () => {
    const out = capture();
    const log = createLogger({ write: (l) => out.lines.push(l) });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const err = Object.assign(new TypeError('bad'), { status: 403 });
    log.error('failed', { error: err, big: 2n ** 70n, cyclic });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]!.endsWith('\n')).toBe(true);
    expect(out.parsed()[0]).toMatchObject({
      error: { name: 'TypeError', message: 'bad', status: 403 },
      big: '1180591620717411303424',
      cyclic: { a: 1, self: '[circular]' },
    });
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'loud' as 'info' })).toThrow(KubeOptionError);
  });
});
