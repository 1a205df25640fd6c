import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isObject } from '../types/fields.js';

/** libcni's default cache root; results live in `<root>/results/`. */
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

/** Temporary files of `write`, never entries. */
const TMP = /\.tmp-\d+$/;

/** libcni's cache file kind. */
export const CACHE_KIND = 'cniCacheV1';

/** One cache file, in libcni's `cniCacheV1` JSON layout (`config` is base64, as Go encodes []byte). */
export interface CacheEntry {
  kind: typeof CACHE_KIND;
  containerId: string;
  config: string;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: Record<string, unknown>;
}

/** An attachment the cache knows about (what GC compares against the valid ones). */
export interface CachedAttachment {
  networkName: string;
  containerId: string;
  ifName: string;
  netns: string;
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
}

/**
 * The on-disk result cache, file for file compatible with libcni: `<root>/results/<network>-
 * <containerID>-<ifname>`, directory 0700, files 0600. Corrupt or empty files read as absent, so
 * a DEL after a crash or reboot still goes through.
 */
export class ResultCache {
  constructor(readonly root: string = DEFAULT_CACHE_DIR) {}

  get dir(): string {
    return join(this.root, 'results');
  }

  path(networkName: string, containerId: string, ifName: string): string {
    return join(this.dir, `${networkName}-${containerId}-${ifName}`);
  }

  /** Writes atomically (temp file + rename) so a crash never leaves half a file. */
  async write(entry: CacheEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.path(entry.networkName, entry.containerId, entry.ifName);
    const tmp = `${file}.tmp-${process.pid}`; // matches TMP
    await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await rename(tmp, file);
  }

  /** The entry for an attachment, or undefined when missing, empty, corrupt or not cniCacheV1. */
  async read(
    networkName: string,
    containerId: string,
    ifName: string,
  ): Promise<CacheEntry | undefined> {
    return this.readFile(this.path(networkName, containerId, ifName));
  }

  /**
   * The cached result of an attachment: the `result` of a cniCacheV1 entry, or a whole file that
   * is a bare result (the layout libcni used before cniCacheV1 and still reads).
   */
  async readResult(
    networkName: string,
    containerId: string,
    ifName: string,
  ): Promise<Record<string, unknown> | undefined> {
    const file = this.path(networkName, containerId, ifName);
    const entry = await this.readFile(file);
    if (entry) return entry.result;
    const legacy = await readJson(file);
    return isObject(legacy) && typeof legacy.cniVersion === 'string' && legacy.kind === undefined
      ? legacy
      : undefined;
  }

  async delete(networkName: string, containerId: string, ifName: string): Promise<void> {
    await rm(this.path(networkName, containerId, ifName), { force: true });
  }

  /** Every readable attachment in the cache, optionally only those of one network. */
  async attachments(networkName?: string): Promise<CachedAttachment[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch {
      return [];
    }
    const out: CachedAttachment[] = [];
    for (const name of names) {
      if (TMP.test(name)) continue; // a write that crashed before its rename
      const e = await this.readFile(join(this.dir, name));
      if (!e || !e.ifName || !e.networkName || !e.containerId) continue;
      if (networkName !== undefined && e.networkName !== networkName) continue;
      out.push({
        networkName: e.networkName,
        containerId: e.containerId,
        ifName: e.ifName,
        netns: e.netns ?? '',
        cniArgs: e.cniArgs ?? [],
        capabilityArgs: e.capabilityArgs ?? {},
      });
    }
    return out;
  }

  private async readFile(file: string): Promise<CacheEntry | undefined> {
    const parsed = await readJson(file);
    if (!isObject(parsed) || parsed.kind !== CACHE_KIND) return undefined;
    for (const key of ['containerId', 'ifName', 'networkName'] as const) {
      if (typeof parsed[key] !== 'string') return undefined;
    }
    const pairs = parsed.cniArgs;
    const okPairs =
      Array.isArray(pairs) &&
      pairs.every(
        (p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'),
      );
    if (!okPairs) delete parsed.cniArgs;
    if (!isObject(parsed.capabilityArgs)) delete parsed.capabilityArgs;
    if (typeof parsed.netns !== 'string') delete parsed.netns;
    if (!isObject(parsed.result)) delete parsed.result;
    return parsed as unknown as CacheEntry;
  }
}

/** The parsed JSON of a file, or undefined when it is missing, unreadable, empty or not JSON. */
async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}
