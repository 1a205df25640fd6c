import { linkSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DiskStore,
  FileLock,
  StoreError,
  type Allocation,
  type AllocationStore,
  type Attachment,
  type IpAddress,
} from '@switchyard/ipam';

// The scratch-file prefix DiskStore uses, so the standalone plugin's GC sweeps ours too and
// host-local never reads them as addresses.
const TEMP_PREFIX = '.switchyard-tmp-';
const LAST_RESERVED_PREFIX = 'last_reserved_ip.';

/**
 * host-local's on-disk store (the exact files DiskStore and host-local write) for a process that
 * owns it for a long time: the agent takes the store's flock once and keeps it until `close()`,
 * so every other writer (the standalone plugin, host-local) waits until the agent is gone.
 * While the lock is held nobody else can change the files, so the allocations are read once and
 * then served from memory; every change is still written through to disk immediately, so the
 * fallback plugin finds exactly the agent's state after the agent stops.
 *
 * This exists because DiskStore takes the flock per operation, which costs a `flock(1)` exec
 * (~3 ms idle, ~10 ms on a loaded machine) plus a directory walk per CNI call.
 */
export class OwnedDiskStore implements AllocationStore {
  readonly dir: string;
  private readonly allocations = new Map<string, Allocation>();
  private readonly cursors = new Map<number, IpAddress | undefined>();
  private readonly reader: DiskStore;
  private lock: FileLock | undefined;
  private inLock = false;
  private tempCounter = 0;

  private constructor(reader: DiskStore, lock: FileLock) {
    this.reader = reader;
    this.dir = reader.dir;
    this.lock = lock;
    for (const a of reader.list()) this.allocations.set(a.address.toString(), a);
  }

  /**
   * Takes the store's lock (waiting up to `timeoutMs` for a running plugin to finish) and loads
   * the allocations. Throws the store's typed errors (LockTimeoutError, StoreError).
   */
  static open(
    network: string,
    options: { dataDir?: string; timeoutMs?: number } = {},
  ): OwnedDiskStore {
    const reader = new DiskStore(
      network,
      options.dataDir === undefined ? {} : { dataDir: options.dataDir },
    );
    const lock = FileLock.acquire(
      join(reader.dir, 'lock'),
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    try {
      return new OwnedDiskStore(reader, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  withLock<T>(fn: () => T): T {
    if (!this.lock) throw new StoreError('store is closed', this.dir);
    if (this.inLock) throw new StoreError('withLock is not reentrant', this.dir);
    this.inLock = true;
    try {
      return fn();
    } finally {
      this.inLock = false;
    }
  }

  reserve(address: IpAddress, attachment: Attachment, rangeSetIndex: number): boolean {
    this.assertLocked();
    const key = address.toString();
    if (this.allocations.has(key)) return false;
    const file = join(this.dir, key);
    const temp = this.tempPath();
    const containerId = attachment.containerId.trim();
    io(temp, 'write', () =>
      writeFileSync(temp, `${containerId}\r\n${attachment.ifName}`, { mode: 0o644, flag: 'wx' }),
    );
    try {
      // Like DiskStore: the file appears whole or not at all, and link fails if the name exists
      // (someone not honouring the lock wrote it), which counts as taken.
      linkSync(temp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new StoreError(`cannot create: ${(e as Error).message}`, file, { cause: e });
    } finally {
      unlinkQuietly(temp);
    }
    this.allocations.set(key, { address, containerId, ifName: attachment.ifName });
    const cursor = join(this.dir, LAST_RESERVED_PREFIX + rangeSetIndex);
    const cursorTemp = this.tempPath();
    io(cursor, 'write', () => {
      writeFileSync(cursorTemp, key, { mode: 0o644 });
      renameSync(cursorTemp, cursor);
    });
    this.cursors.set(rangeSetIndex, address);
    return true;
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    if (!this.cursors.has(rangeSetIndex)) {
      this.cursors.set(rangeSetIndex, this.reader.lastReserved(rangeSetIndex));
    }
    return this.cursors.get(rangeSetIndex);
  }

  list(): Allocation[] {
    return [...this.allocations.values()];
  }

  release(address: IpAddress): boolean {
    this.assertLocked();
    const key = address.toString();
    if (!this.allocations.delete(key)) return false;
    const file = join(this.dir, key);
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StoreError(`cannot remove: ${(e as Error).message}`, file, { cause: e });
      }
    }
    return true;
  }

  sweep(): void {
    this.assertLocked();
    for (const name of io(this.dir, 'list', () => readdirSync(this.dir))) {
      if (name.startsWith(TEMP_PREFIX)) unlinkQuietly(join(this.dir, name));
    }
  }

  /** Gives the lock back; the standalone plugin (or host-local) can use the store again. */
  close(): void {
    this.lock?.release();
    this.lock = undefined;
  }

  private tempPath(): string {
    return join(this.dir, `${TEMP_PREFIX}${process.pid}-agent-${this.tempCounter++}`);
  }

  private assertLocked(): void {
    if (!this.inLock) throw new StoreError('store used outside withLock', this.dir);
  }
}

function io<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new StoreError(`cannot ${what}: ${(e as Error).message}`, path, { cause: e });
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
