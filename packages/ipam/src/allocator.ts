import {
  AlreadyAllocatedError,
  NotAllocatedError,
  RangeExhaustedError,
  RequestedAddressError,
} from './errors.js';
import type { IpAddress } from './ip-address.js';
import type { IpRange } from './ip-range.js';
import type { RangeSet } from './range-set.js';
import { type Allocation, type AllocationStore, type Attachment, heldBy } from './store.js';

/** One address handed to an attachment, with the range it came from. */
export interface AllocatedAddress {
  address: IpAddress;
  range: IpRange;
  rangeSetIndex: number;
}

export interface AllocateRequest extends Attachment {
  /** Specific addresses wanted (CNI_ARGS IP, args.cni.ips, runtimeConfig.ips); each must be used. */
  requested?: readonly IpAddress[];
}

/**
 * host-local's allocation semantics over any store: one address per range set, taken round-robin
 * after the set's last reserved address, or a requested address when one falls in the set. The
 * whole request runs under one hold of the store lock, and nothing stays allocated if any part of
 * it fails.
 */
export class Allocator {
  constructor(
    readonly rangeSets: readonly RangeSet[],
    readonly store: AllocationStore,
  ) {}

  /**
   * Allocates one address from every range set, in order. Throws AlreadyAllocatedError when the
   * attachment already holds an address in a set (CNI forbids a second ADD), RequestedAddressError
   * when a requested address is taken, the gateway, or in no set, and RangeExhaustedError when a
   * set is full.
   */
  allocate(request: AllocateRequest): AllocatedAddress[] {
    const attachment = { containerId: request.containerId, ifName: request.ifName };
    return this.store.withLock(() => {
      const wanted = [...(request.requested ?? [])];
      const all = this.store.list();
      const held = all.filter((a) => heldBy(a, attachment));
      // Known-taken addresses are skipped without touching the store; reserve() still has the final say.
      const used = new Set(all.map((a) => a.address.toString()));
      const taken: AllocatedAddress[] = [];
      try {
        for (const [index, set] of this.rangeSets.entries()) {
          const at = wanted.findIndex((ip) => set.contains(ip));
          const requested = at >= 0 ? wanted.splice(at, 1)[0] : undefined;
          taken.push(this.allocateIn(index, set, attachment, { held, used, requested }));
        }
        if (wanted.length > 0) {
          const list = wanted.map(String).join(', ');
          throw new RequestedAddressError(
            `requested address ${list} unused: each must lie in a range set, at most one per set`,
            list,
          );
        }
        return taken;
      } catch (e) {
        for (const t of taken) this.store.release(t.address);
        throw e;
      }
    });
  }

  /**
   * Frees every address the attachment holds and returns them. Like host-local, records with the
   * interface name are matched first; only when there are none, legacy ID-only records are.
   */
  release(attachment: Attachment): IpAddress[] {
    return this.store.withLock(() => {
      const all = this.store.list();
      const exact = all.filter(
        (a) => a.containerId === attachment.containerId && a.ifName === attachment.ifName,
      );
      const mine = exact.length > 0 ? exact : all.filter((a) => heldBy(a, attachment));
      return mine.filter((a) => this.store.release(a.address)).map((a) => a.address);
    });
  }

  /** The attachment's address in every range set; throws NotAllocatedError if one is missing. */
  check(attachment: Attachment): AllocatedAddress[] {
    const held = this.store.withLock(() => this.store.list().filter((a) => heldBy(a, attachment)));
    return this.rangeSets.map((set, rangeSetIndex) => {
      for (const a of held) {
        const range = set.rangeFor(a.address);
        if (range) return { address: a.address, range, rangeSetIndex };
      }
      throw new NotAllocatedError(attachment.containerId, attachment.ifName, set.toString());
    });
  }

  /** True when every range set has at least one address left to give. */
  hasFreeAddresses(): boolean {
    const allocated = this.store.withLock(() => this.store.list());
    return this.rangeSets.every((set) => {
      const used = allocated.filter((a) => set.contains(a.address)).length;
      return BigInt(used) < set.usable;
    });
  }

  private allocateIn(
    index: number,
    set: RangeSet,
    attachment: Attachment,
    known: { held: readonly Allocation[]; used: ReadonlySet<string>; requested?: IpAddress },
  ): AllocatedAddress {
    const existing = known.held.find((a) => set.contains(a.address));
    if (existing) {
      throw new AlreadyAllocatedError(
        attachment.containerId,
        attachment.ifName,
        existing.address.toString(),
      );
    }
    const requested = known.requested;
    if (requested) {
      const range = set.rangeFor(requested)!;
      const text = requested.toString();
      if (requested.equals(range.gateway)) {
        throw new RequestedAddressError(`requested address ${text} is the gateway`, text);
      }
      if (!this.store.reserve(requested, attachment, index)) {
        throw new RequestedAddressError(
          `requested address ${text} is not available in range set ${set.toString()}`,
          text,
        );
      }
      return { address: requested, range, rangeSetIndex: index };
    }
    for (const { address, range } of set.candidates(this.store.lastReserved(index))) {
      if (known.used.has(address.toString())) continue;
      if (this.store.reserve(address, attachment, index)) {
        return { address, range, rangeSetIndex: index };
      }
    }
    throw new RangeExhaustedError(set.toString());
  }
}
