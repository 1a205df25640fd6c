import type { IpAddress } from './ip-address.js';
import type { AllocationStore, Attachment } from './store.js';

/** A live attachment as CNI GC names it in `cni.dev/valid-attachments`. */
export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

/**
 * CNI 1.1 GC: frees every allocation whose attachment is not in `valid`; an empty list frees
 * everything. A legacy record (container ID only, from host-local before 0.7) stays when any valid
 * attachment has that container ID, so an upgrade never frees a live address. Only allocations are
 * touched: the `lock` and `last_reserved_ip.N` files are not allocations and are left alone.
 * Returns the freed addresses.
 */
export function collectGarbage(
  store: AllocationStore,
  valid: readonly ValidAttachment[],
): IpAddress[] {
  const pairs = new Set(valid.map((v) => key({ containerId: v.containerID, ifName: v.ifname })));
  const ids = new Set(valid.map((v) => v.containerID));
  return store.withLock(() => {
    const freed: IpAddress[] = [];
    for (const a of store.list()) {
      const live = a.ifName === '' ? ids.has(a.containerId) : pairs.has(key(a));
      if (!live && store.release(a.address)) freed.push(a.address);
    }
    store.sweep();
    return freed;
  });
}

function key(a: Attachment): string {
  // A newline cannot occur in a container ID or an interface name.
  return `${a.containerId}\n${a.ifName}`;
}
