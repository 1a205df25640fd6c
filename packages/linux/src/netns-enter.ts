import { closeSync, openSync } from 'node:fs';
import { NetnsError } from './errors.js';
import { nativeNetns } from './native-netns.js';

/**
 * A network namespace to operate in: a `Netns` we created, or the path of a namespace file
 * (`/run/netns/NAME`, `/proc/PID/ns/net`, a CNI runtime's netns path).
 */
export type NetnsTarget = string | { readonly path: string };

export function netnsPath(target: NetnsTarget): string {
  return typeof target === 'string' ? target : target.path;
}

/**
 * Runs `fn` with the calling thread inside `target`, then moves it back. Only the synchronous
 * part of `fn` runs inside: that is enough to create sockets (they keep the namespace they were
 * created in), open /proc/sys files, and spawn children (they inherit the thread's namespace).
 * JavaScript is single-threaded, so no other code can observe the switch.
 */
export function inNetns<T>(target: NetnsTarget, fn: () => T): T {
  const { setns } = nativeNetns();
  const path = netnsPath(target);
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    closeSync(home);
    throw new NetnsError(`cannot open network namespace ${path}: ${(e as Error).message}`, path);
  }
  try {
    try {
      setns(fd);
    } catch (e) {
      throw new NetnsError(`cannot enter ${path}: ${(e as Error).message}`, path);
    }
    try {
      return fn();
    } finally {
      // Returning to a namespace we hold an fd of cannot fail short of a kernel bug; if it did,
      // every later socket would land in the wrong namespace, so that must not pass silently.
      setns(home);
    }
  } finally {
    closeSync(fd);
    closeSync(home);
  }
}
