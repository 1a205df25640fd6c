import { createHash } from 'node:crypto';

/**
 * The host-side veth name for an attachment: `sy` + 11 hex digits of a hash of
 * (container ID, interface). Deterministic, so DEL finds it without any saved state even when the
 * pod namespace is gone, and a leftover from a failed ADD is recognised on the retry.
 */
export function hostVethName(containerId: string, ifName: string): string {
  const digest = createHash('sha256').update(`${containerId}\n${ifName}`).digest('hex');
  return `sy${digest.slice(0, 11)}`;
}
