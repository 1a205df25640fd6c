import {
  Allocator,
  DiskStore,
  collectGarbage,
  nodeRangeSets,
  type NodeLike,
} from '@switchyard/ipam';

export interface NodeAllocatorOptions {
  /** The Node (only `spec.podCIDRs`/`podCIDR` are read; a client's V1Node fits). */
  node: NodeLike;
  /** host-local's `dataDir`; the addresses live in `<dataDir>/<network>/`. */
  dataDir: string;
  network?: string;
}

/** One pod's claim on addresses: host-local keys allocations by container ID and interface. */
export interface Pod {
  containerId: string;
  ifName?: string;
}

export interface PodAddress {
  containerId: string;
  ifName: string;
  address: string;
}

/**
 * Addresses for the pods of one node, one per pod CIDR (dual-stack nodes get two), in host-local's
 * files: host-local and switchyard-ipam could share this directory with it. Every call takes the
 * same flock host-local takes, so separate processes never hand out one address twice.
 */
export class NodeAllocator {
  private readonly store: DiskStore;
  private readonly allocator: Allocator;

  constructor(options: NodeAllocatorOptions) {
    this.store = new DiskStore(options.network ?? 'pods', { dataDir: options.dataDir });
    this.allocator = new Allocator(nodeRangeSets(options.node), this.store);
  }

  /** `address/prefix` per pod CIDR; the gateway (`.1`) is never handed out. */
  allocate(pod: Pod): string[] {
    return this.allocator
      .allocate({ containerId: pod.containerId, ifName: pod.ifName ?? 'eth0' })
      .map((a) => `${a.address.toString()}/${a.range.subnet.prefix}`);
  }

  /** Frees the pod's addresses; an unknown pod frees nothing (DEL must be repeatable). */
  release(pod: Pod): string[] {
    return this.allocator
      .release({ containerId: pod.containerId, ifName: pod.ifName ?? 'eth0' })
      .map((a) => a.toString());
  }

  /** Frees every address not held by one of `live` (CNI GC's valid attachments). */
  gc(live: readonly Pod[]): string[] {
    const valid = live.map((p) => ({ containerID: p.containerId, ifname: p.ifName ?? 'eth0' }));
    return collectGarbage(this.store, valid).map((a) => a.toString());
  }

  list(): PodAddress[] {
    return this.store.withLock(() =>
      this.store.list().map((a) => ({
        containerId: a.containerId,
        ifName: a.ifName,
        address: a.address.toString(),
      })),
    );
  }
}
