import type { Netns } from '../src/index.js';

/** `ip -j ...` inside a namespace, parsed: the kernel's view as iproute2 reports it. */
export async function ipJson<T = Record<string, unknown>[]>(
  ns: Netns,
  args: readonly string[],
): Promise<T> {
  const { stdout } = await ns.exec(['ip', '-j', ...args]);
  return JSON.parse(stdout || '[]') as T;
}
