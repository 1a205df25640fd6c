import { readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetnsError, inNetns, withNetns } from '../src/index.js';
import { netnsLifecycle } from './helpers.js';

netnsLifecycle();

/** `net:[4026532xyz]` of this thread right now. */
const current = (): string => readlinkSync('/proc/thread-self/ns/net');

describe('inNetns', () => {
  it('runs the callback inside the target and always comes back, even when it throws', async () => {
    const home = current();
    await withNetns(['enter'], async (ns) => {
      const inside = inNetns(ns, current);
      expect(inside).toBe(`net:[${statSync(ns.path).ino}]`);
      expect(inside).not.toBe(home);
      expect(current()).toBe(home);
      expect(() =>
        inNetns(ns, () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(current()).toBe(home);
      // Nested entries return to the namespace they were entered from.
      await withNetns(['inner'], async (inner) => {
        const seen = inNetns(ns, () => [current(), inNetns(inner, current), current()]);
        expect(seen).toEqual([inside, `net:[${statSync(inner.path).ino}]`, inside]);
      });
    });
    expect(current()).toBe(home);
  });

  it('rejects a path that is missing or not a network namespace, and stays home', () => {
    const home = current();
    expect(() => inNetns('/run/netns/sy-no-such-namespace', current)).toThrow(NetnsError);
    expect(() => inNetns('/proc/self/ns/uts', current)).toThrow(NetnsError);
    expect(current()).toBe(home);
  });
});
