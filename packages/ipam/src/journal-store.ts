import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { StoreError } from './errors.js';
import { FileLock } from './file-lock.js';
import { IpAddress } from './ip-address.js';
import type { Allocation, AllocationStore, Attachment } from './store.js';

export interface JournalStoreOptions {
  /** Rewrite the journal once it holds this many more records than the live state needs. */
  compactAfter?: number;
}

/**
 * One journal line: reserve (`r`; `s` is the range set whose cursor moves, absent in snapshots),
 * free (`f`), or a round-robin cursor (`l`, snapshots only).
 */
type JournalRecord =
  | { t: 'r'; ip: string; id: string; if: string; s?: number }
  | { t: 'f'; ip: string }
  | { t: 'l'; ip: string; s: number };

/**
 * Allocations in memory, made durable by an append-only journal: the store for a long-running
 * node agent, where the per-operation file walks of the host-local format would be wasted.
 *
 * - Each line is `<crc32 hex> <json>\n`. The changes made inside one `withLock` are appended in a
 *   single write and fdatasync'ed before `withLock` returns, so a multi-address allocation lands
 *   whole or not at all, and a completed call survives a crash.
 * - On open, a torn last line (a crash mid-append, or a power cut) is cut off; a damaged line
 *   followed by intact ones is corruption and refuses to open rather than guessing.
 * - Compaction writes the live state to `<path>.tmp`, fsyncs it, renames it over the journal and
 *   fsyncs the directory: at every instant either the old or the new journal is complete.
 * - The store holds an exclusive flock on `<path>.lock` for its lifetime, so a second process
 *   cannot open the same journal and diverge from the first.
 */
export class JournalStore implements AllocationStore {
  private readonly allocations = new Map<string, Allocation>();
  private readonly cursors = new Map<number, IpAddress>();
  private readonly compactAfter: number;
  private pending: JournalRecord[] = [];
  private records = 0;
  private inLock = false;
  private fd: number | undefined;
  private lock: FileLock | undefined;

  private constructor(
    readonly path: string,
    options: JournalStoreOptions,
  ) {
    this.compactAfter = options.compactAfter ?? 1000;
  }

  /** Opens (or creates) the journal at `path`, replaying it into memory. */
  static open(path: string, options: JournalStoreOptions = {}): JournalStore {
    const store = new JournalStore(path, options);
    store.lock = FileLock.acquire(`${path}.lock`, { wait: false });
    try {
      store.load();
      store.fd = openSync(path, 'a', 0o600);
    } catch (e) {
      store.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot open journal: ${(e as Error).message}`, path, { cause: e });
    }
    return store;
  }

  withLock<T>(fn: () => T): T {
    if (this.fd === undefined) throw new StoreError('journal is closed', this.path);
    if (this.inLock) throw new StoreError('withLock is not reentrant', this.path);
    this.inLock = true;
    try {
      return fn();
    } finally {
      this.inLock = false;
      this.flush();
    }
  }

  reserve(address: IpAddress, attachment: Attachment, rangeSetIndex: number): boolean {
    this.assertLocked();
    const ip = address.toString();
    if (this.allocations.has(ip)) return false;
    const record: JournalRecord = {
      t: 'r',
      ip,
      id: attachment.containerId.trim(),
      if: attachment.ifName,
      s: rangeSetIndex,
    };
    this.apply(record);
    this.pending.push(record);
    return true;
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    return this.cursors.get(rangeSetIndex);
  }

  list(): Allocation[] {
    return [...this.allocations.values()];
  }

  release(address: IpAddress): boolean {
    this.assertLocked();
    const record: JournalRecord = { t: 'f', ip: address.toString() };
    if (!this.allocations.has(record.ip)) return false;
    this.apply(record);
    this.pending.push(record);
    return true;
  }

  /** Compacts the journal to the live state. */
  sweep(): void {
    this.assertLocked();
    this.flush();
    this.compact();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.lock?.release();
    this.lock = undefined;
  }

  private apply(record: JournalRecord): void {
    const address = IpAddress.parse(record.ip);
    if (record.t === 'r') {
      this.allocations.set(record.ip, { address, containerId: record.id, ifName: record.if });
      if (record.s !== undefined) this.cursors.set(record.s, address);
    } else if (record.t === 'f') {
      this.allocations.delete(record.ip);
    } else {
      this.cursors.set(record.s, address);
    }
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const lines = text.split('\n');
    let goodBytes = 0;
    for (const [i, line] of lines.entries()) {
      const complete = i < lines.length - 1; // the text after the last "\n" was never finished
      const record = complete ? decode(line) : undefined;
      if (record) {
        this.apply(record);
        this.records++;
        goodBytes += Buffer.byteLength(line) + 1;
        continue;
      }
      if (line === '' && !complete) break;
      const rest = lines.slice(i + 1).filter((l) => l !== '');
      if (rest.some((l) => decode(l) !== undefined)) {
        throw new StoreError(`journal damaged at line ${i + 1}; refusing to guess`, this.path);
      }
      // A torn tail: drop it so the next append starts on a clean line.
      const fd = openSync(this.path, 'r+');
      try {
        ftruncateSync(fd, goodBytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      break;
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      writeFully(this.fd!, batch.map(encode).join(''));
      fdatasyncSync(this.fd!);
    } catch (e) {
      // Memory may now be ahead of the disk: rebuild it from what the journal really holds.
      this.allocations.clear();
      this.cursors.clear();
      this.records = 0;
      this.load();
      throw new StoreError(`cannot append: ${(e as Error).message}`, this.path, { cause: e });
    }
    this.records += batch.length;
    if (this.records > this.allocations.size + this.cursors.size + this.compactAfter) {
      this.compact();
    }
  }

  private compact(): void {
    const snapshot: JournalRecord[] = [];
    for (const [s, address] of this.cursors) snapshot.push({ t: 'l', ip: address.toString(), s });
    for (const [ip, a] of this.allocations) {
      snapshot.push({ t: 'r', ip, id: a.containerId, if: a.ifName });
    }
    const temp = `${this.path}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeFully(fd, snapshot.map(encode).join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
      closeSync(this.fd!);
      this.fd = openSync(this.path, 'a', 0o600);
    } catch (e) {
      throw new StoreError(`cannot compact: ${(e as Error).message}`, this.path, { cause: e });
    }
    this.records = snapshot.length;
  }

  private assertLocked(): void {
    if (!this.inLock) throw new StoreError('store used outside withLock', this.path);
  }
}

function writeFully(fd: number, text: string): void {
  const data = Buffer.from(text);
  const written = writeSync(fd, data);
  if (written !== data.length) throw new Error(`short write (${written} of ${data.length} bytes)`);
}

function encode(record: JournalRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function decode(line: string): JournalRecord | undefined {
  const json = line.slice(9);
  if (line[8] !== ' ' || crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) {
    return undefined;
  }
  try {
    const record = JSON.parse(json) as JournalRecord;
    IpAddress.parse(record.ip);
    const shapeOk =
      record.t === 'f' ||
      (record.t === 'r' && typeof record.id === 'string' && typeof record.if === 'string') ||
      (record.t === 'l' && Number.isInteger(record.s));
    return shapeOk ? record : undefined;
  } catch {
    return undefined;
  }
}
