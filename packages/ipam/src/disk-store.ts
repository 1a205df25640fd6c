import {
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { IpamConfigError, StoreError } from './errors.js';
import { FileLock } from './file-lock.js';
import { IpAddress } from './ip-address.js';
import type { Allocation, AllocationStore, Attachment } from './store.js';

/** host-local's default `dataDir`. */
export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
const LOCK_FILE = 'lock';
// Our scratch files. host-local never parses them as addresses (the name is not an IP).
const TEMP_PREFIX = '.switchyard-tmp-';
// libcni's rule for network names; it also keeps the name from escaping dataDir.
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface DiskStoreOptions {
  /** Parent directory; the store lives in `<dataDir>/<network>`. Default /var/lib/cni/networks. */
  dataDir?: string;
  /** Give up waiting for the lock after this long (LockTimeoutError, CNI code 11). */
  lockTimeoutMs?: number;
}

/**
 * host-local's on-disk format, byte for byte, so a node can switch between host-local and
 * switchyard-ipam (or run both) without losing or reusing an address:
 * - `<dataDir>/<network>/<ip>`: one file per allocated address (IPv6 in canonical RFC 5952 text,
 *   e.g. `fd00::2`), mode 0644, content `containerID\r\nifname` (older host-local: just the ID);
 * - `last_reserved_ip.<N>`: the last address handed out from range set N, as text;
 * - `lock`: an empty file everyone flocks around every read-modify-write.
 *
 * Unlike host-local, writes are crash-atomic: an address file is written under a temporary name and
 * hard-linked into place (link fails if the name exists, like O_EXCL), so a killed process never
 * leaves an empty or partial address file; `last_reserved_ip.N` is replaced by rename.
 *
 * By default every `withLock` takes the flock anew (a `flock(1)` exec, ~3 ms idle, ~10 ms on a
 * loaded machine) and `list` reads the directory. A long-running owner calls `hold()` instead.
 */
export class DiskStore implements AllocationStore {
  readonly dir: string;
  private readonly lockTimeoutMs: number | undefined;
  private inLock = false;
  private held: Held | undefined;
  private tempCounter = 0;

  constructor(network: string, options: DiskStoreOptions = {}) {
    if (!NETWORK_NAME.test(network)) {
      throw new IpamConfigError(
        `network name ${JSON.stringify(network)} must match ${NETWORK_NAME.source}`,
        'name',
      );
    }
    this.dir = join(options.dataDir ?? DEFAULT_DATA_DIR, network);
    this.lockTimeoutMs = options.lockTimeoutMs;
    io(this.dir, 'create directory', () => mkdirSync(this.dir, { recursive: true, mode: 0o755 }));
  }

  /**
   * Takes the store's lock now (waiting up to `lockTimeoutMs`) and keeps it until `close()`, for a
   * process that owns the store for a long time (the node agent): every other writer (the
   * standalone plugin, host-local) waits until it is gone. While nobody else can change the files
   * the allocations are read once and then served from memory, and `withLock` costs no flock;
   * every change is still written through to disk at once, so the next owner finds exactly this
   * state. Throws LockTimeoutError or StoreError, holding nothing.
   */
  hold(): void {
    if (this.held || this.inLock) throw new StoreError('hold() while locked', this.dir);
    const lock = this.acquireLock();
    try {
      const allocations = new Map(this.readAllocations().map((a) => [a.address.toString(), a]));
      this.held = { lock, allocations, cursors: new Map() };
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  withLock<T>(fn: () => T): T {
    if (this.inLock) throw new StoreError('withLock is not reentrant', this.dir);
    const lock = this.held ? undefined : this.acquireLock();
    this.inLock = true;
    try {
      return fn();
    } finally {
      this.inLock = false;
      lock?.release();
    }
  }

  reserve(address: IpAddress, attachment: Attachment, rangeSetIndex: number): boolean {
    this.assertLocked();
    const key = address.toString();
    if (this.held?.allocations.has(key)) return false;
    const file = join(this.dir, key);
    const temp = this.tempPath();
    // host-local trims the container ID before writing it.
    const containerId = attachment.containerId.trim();
    const content = `${containerId}\r\n${attachment.ifName}`;
    io(temp, 'write', () => writeFileSync(temp, content, { mode: 0o644, flag: 'wx' }));
    try {
      linkSync(temp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new StoreError(`cannot create: ${(e as Error).message}`, file, { cause: e });
    } finally {
      unlinkQuietly(temp);
    }
    this.held?.allocations.set(key, { address, containerId, ifName: attachment.ifName });
    this.writeAtomically(LAST_RESERVED_PREFIX + rangeSetIndex, key);
    this.held?.cursors.set(rangeSetIndex, address);
    return true;
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    if (!this.held) return this.readCursor(rangeSetIndex);
    if (!this.held.cursors.has(rangeSetIndex)) {
      this.held.cursors.set(rangeSetIndex, this.readCursor(rangeSetIndex));
    }
    return this.held.cursors.get(rangeSetIndex);
  }

  list(): Allocation[] {
    return this.held ? [...this.held.allocations.values()] : this.readAllocations();
  }

  release(address: IpAddress): boolean {
    this.assertLocked();
    const key = address.toString();
    // Held: memory is the truth; a file someone removed behind the lock still counts as released.
    if (this.held && !this.held.allocations.delete(key)) return false;
    const file = join(this.dir, key);
    try {
      unlinkSync(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.held !== undefined;
      throw new StoreError(`cannot remove: ${(e as Error).message}`, file, { cause: e });
    }
  }

  /** Removes temporary files a killed writer left behind; they never hold an address. */
  sweep(): void {
    this.assertLocked();
    for (const name of io(this.dir, 'list', () => readdirSync(this.dir))) {
      if (name.startsWith(TEMP_PREFIX)) unlinkQuietly(join(this.dir, name));
    }
  }

  /** Gives back a lock taken by `hold()`; later calls take the flock per `withLock` again. */
  close(): void {
    this.held?.lock.release();
    this.held = undefined;
  }

  private acquireLock(): FileLock {
    const options = this.lockTimeoutMs === undefined ? {} : { timeoutMs: this.lockTimeoutMs };
    return FileLock.acquire(join(this.dir, LOCK_FILE), options);
  }

  private readCursor(rangeSetIndex: number): IpAddress | undefined {
    try {
      const text = readFileSync(join(this.dir, LAST_RESERVED_PREFIX + rangeSetIndex), 'utf8');
      // A damaged cursor only costs round-robin order, as in host-local.
      return IpAddress.tryParse(text.trim());
    } catch {
      return undefined;
    }
  }

  private readAllocations(): Allocation[] {
    const allocations: Allocation[] = [];
    for (const entry of io(this.dir, 'list', () =>
      readdirSync(this.dir, { withFileTypes: true }),
    )) {
      if (!entry.isFile()) continue;
      const address = IpAddress.tryParse(entry.name);
      // Skips lock, last_reserved_ip.N, our temporary files and anything not named canonically.
      if (!address || address.toString() !== entry.name) continue;
      let content: string;
      try {
        content = readFileSync(join(this.dir, entry.name), 'utf8');
      } catch {
        continue; // released by someone not honouring the lock; nothing to report
      }
      allocations.push({ address, ...parseOwner(content) });
    }
    return allocations;
  }

  private writeAtomically(name: string, content: string): void {
    const temp = this.tempPath();
    const file = join(this.dir, name);
    io(file, 'write', () => {
      writeFileSync(temp, content, { mode: 0o644 });
      renameSync(temp, file);
    });
  }

  private tempPath(): string {
    return join(this.dir, `${TEMP_PREFIX}${process.pid}-${this.tempCounter++}`);
  }

  private assertLocked(): void {
    if (!this.inLock) throw new StoreError('store used outside withLock', this.dir);
  }
}

/** What `hold()` keeps: the lock, and the store's contents, which only we can change meanwhile. */
interface Held {
  lock: FileLock;
  allocations: Map<string, Allocation>;
  cursors: Map<number, IpAddress | undefined>;
}

/** `id\r\nifname`, or a bare ID from host-local before 0.7; surrounding whitespace is ignored. */
function parseOwner(content: string): Attachment {
  const trimmed = content.trim();
  const brk = trimmed.indexOf('\r\n');
  if (brk < 0) return { containerId: trimmed, ifName: '' };
  return { containerId: trimmed.slice(0, brk), ifName: trimmed.slice(brk + 2) };
}

function io<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StoreError) throw e;
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
