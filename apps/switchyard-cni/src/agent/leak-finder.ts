import type { Allocation } from '@switchyard/ipam';
import { hostVethName } from '../plugin/host-veth-name.js';

export interface LeakScan {
  allocations: readonly Allocation[];
  /** Names of the links in the node namespace now. */
  links: ReadonlySet<string>;
  /** Addresses of the pods the API server places on this node; undefined without Kubernetes. */
  podIps: ReadonlySet<string> | undefined;
  now: number;
  graceMs: number;
}

/**
 * The agent's IPAM GC decision (pure). An allocation is orphaned when its attachment's host veth
 * is gone (the kernel removes the pair with the pod's namespace, so a missing veth means a DEL
 * that never came) and, with Kubernetes, no pod on this node has its address. It is a leak once
 * it has stayed orphaned for the grace period: an ADD holds its address for a moment before the
 * veth exists, and the API server learns a pod's address after the CNI answered.
 * `orphanSince` carries the first sighting between scans and is updated in place.
 */
export function findLeaks(scan: LeakScan, orphanSince: Map<string, number>): Allocation[] {
  const leaks: Allocation[] = [];
  const seen = new Set<string>();
  for (const a of scan.allocations) {
    const key = `${a.address.toString()}|${a.containerId}|${a.ifName}`;
    const orphaned =
      a.ifName !== '' &&
      !scan.links.has(hostVethName(a.containerId, a.ifName)) &&
      !(scan.podIps?.has(a.address.toString()) ?? false);
    if (!orphaned) continue;
    seen.add(key);
    const since = orphanSince.get(key);
    if (since === undefined) orphanSince.set(key, scan.now);
    else if (scan.now - since >= scan.graceMs) leaks.push(a);
  }
  for (const key of orphanSince.keys()) if (!seen.has(key)) orphanSince.delete(key);
  return leaks;
}
