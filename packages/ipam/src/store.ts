import type { IpAddress } from './ip-address.js';

/** Who holds an address: a container's interface (CNI calls this pair an attachment). */
export interface Attachment {
  containerId: string;
  /** Empty for records written by host-local before it stored the interface name. */
  ifName: string;
}

export interface Allocation extends Attachment {
  address: IpAddress;
}

/**
 * Where allocations live. Every method is synchronous and must be called inside `withLock`, which
 * gives exclusive access (across processes for the on-disk store), so an allocation decision and
 * its write cannot interleave with another's.
 */
export interface AllocationStore {
  /** Runs `fn` holding the store's exclusive lock; nested calls are not allowed. */
  withLock<T>(fn: () => T): T;
  /**
   * Claims `address` for the attachment and remembers it as range set `rangeSetIndex`'s last
   * reserved address. Returns false, changing nothing, when the address is already taken.
   */
  reserve(address: IpAddress, attachment: Attachment, rangeSetIndex: number): boolean;
  /** The address last reserved in range set `rangeSetIndex`, the round-robin cursor. */
  lastReserved(rangeSetIndex: number): IpAddress | undefined;
  /** Every allocation, in no particular order. */
  list(): Allocation[];
  /** Frees one address; returns false when it was not allocated. */
  release(address: IpAddress): boolean;
  /** Removes internal debris a killed writer may leave (temporary files); part of GC. */
  sweep(): void;
  /** Gives up any lock or file handle the store keeps open. */
  close(): void;
}

/** True when `allocation` belongs to the attachment; a legacy record (no ifName) matches any interface. */
export function heldBy(allocation: Allocation, attachment: Attachment): boolean {
  return (
    allocation.containerId === attachment.containerId &&
    (allocation.ifName === attachment.ifName || allocation.ifName === '')
  );
}
