import { afterAll, beforeAll, expect } from 'vitest';
import { type Netns, liveNetns, sweepStaleNetns } from '../src/index.js';

/**
 * The lifecycle every netns test file shares: sweep what a killed earlier run left, and fail the
 * file if any namespace it created is still alive at the end (a cleanup bug).
 */
export function netnsLifecycle(): void {
  beforeAll(async () => {
    await sweepStaleNetns();
  });
  afterAll(() => {
    expect(liveNetns()).toEqual([]);
  });
}

/** `ip -j ...` inside a namespace, parsed: the kernel's view as iproute2 reports it. */
export async function ipJson<T = Record<string, unknown>[]>(
  ns: Netns,
  args: readonly string[],
): Promise<T> {
  const { stdout } = await ns.exec(['ip', '-j', ...args]);
  return JSON.parse(stdout || '[]') as T;
}
