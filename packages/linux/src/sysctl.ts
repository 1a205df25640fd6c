import { readFileSync, writeFileSync } from 'node:fs';
import { inNetns, type NetnsTarget } from './netns-enter.js';

/** A sysctl key that is malformed, outside `net.`, or that the kernel refused. */
export class SysctlError extends Error {
  override readonly name = 'SysctlError';
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

export interface SysctlOptions {
  /** Read or write the copy of the `net.` tree that belongs to this namespace. */
  netns?: NetnsTarget;
}

const SEGMENT = /^[A-Za-z0-9_\-.]+$/;

/**
 * `net.ipv4.ip_forward` -> `/proc/sys/net/ipv4/ip_forward`. Interface names may contain dots, so
 * such keys are written with slashes (`net/ipv4/conf/eth0.10/rp_filter`), as sysctl(8) accepts.
 * Only the per-namespace `net.` tree is allowed: anything else is global to the machine.
 */
export function sysctlPath(key: string): string {
  const segments = key.includes('/') ? key.split('/') : key.split('.');
  const valid = segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!valid || segments[0] !== 'net' || segments.length < 2) {
    throw new SysctlError(`not a net.* sysctl key: ${JSON.stringify(key)}`, key);
  }
  return `/proc/sys/${segments.join('/')}`;
}

export function readSysctl(key: string, options: SysctlOptions = {}): string {
  const path = sysctlPath(key);
  // /proc/sys/net resolves against the calling thread's namespace at open time, and sync fs calls
  // run on this thread, so entering the namespace around the read is enough.
  return withNamespace(options, () => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (e) {
      throw new SysctlError(`cannot read ${key}: ${(e as Error).message}`, key);
    }
  });
}

export function writeSysctl(
  key: string,
  value: string | number,
  options: SysctlOptions = {},
): void {
  const path = sysctlPath(key);
  const text = String(value);
  if (/[\n\0]/.test(text)) throw new SysctlError(`value for ${key} contains a newline`, key);
  withNamespace(options, () => {
    try {
      writeFileSync(path, `${text}\n`);
    } catch (e) {
      throw new SysctlError(`cannot write ${key}=${text}: ${(e as Error).message}`, key);
    }
  });
}

function withNamespace<T>(options: SysctlOptions, fn: () => T): T {
  return options.netns === undefined ? fn() : inNetns(options.netns, fn);
}
