import { ipFamily } from './ip.js';
import type { Upstream } from './resolv-conf.js';

/**
 * True when forwarding to `u` would reach this server itself: our port at our listen address or at
 * another address of ours, or on loopback when we listen everywhere. Such an upstream bounces each
 * query back until it times out (what CoreDNS's `loop` plugin guards against).
 */
export function isSelfUpstream(
  u: Upstream,
  host: string,
  port: number,
  ownAddresses: readonly string[] = [],
): boolean {
  if (u.port !== port || port === 0) return false;
  if (u.host === host || ownAddresses.includes(u.host)) return true;
  const wildcard = host === '0.0.0.0' || host === '::';
  const loopback = u.host === '::1' || (ipFamily(u.host) === 4 && u.host.startsWith('127.'));
  return wildcard && loopback;
}
