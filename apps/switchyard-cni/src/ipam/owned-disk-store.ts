import { DiskStore } from '@switchyard/ipam';

/**
 * The agent's store: host-local's on-disk files through @switchyard/ipam's DiskStore, with the
 * store's flock taken once by `open()` and kept until `close()` (`DiskStore.hold()`), so the
 * standalone plugin and host-local wait while the agent runs, and no CNI call pays a `flock(1)`
 * exec or a directory walk.
 */
export class OwnedDiskStore extends DiskStore {
  /**
   * Takes the store's lock (waiting up to `timeoutMs` for a running plugin to finish) and loads
   * the allocations. Throws the store's typed errors (LockTimeoutError, StoreError).
   */
  static open(
    network: string,
    options: { dataDir?: string; timeoutMs?: number } = {},
  ): OwnedDiskStore {
    const store = new OwnedDiskStore(network, {
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.timeoutMs === undefined ? {} : { lockTimeoutMs: options.timeoutMs }),
    });
    store.hold();
    return store;
  }
}
