import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** client-go and client-node re-read a token file once a minute; so do we, at the latest. */
export const FILE_REFRESH_MS = 60_000;

/**
 * A file read again when it changes: a bound ServiceAccount token is rotated by the kubelet (an
 * atomic symlink swap), a client certificate by its issuer. Each read costs one stat; the content
 * is read again when the file's identity (inode, size, mtime) changed, or at least every
 * FILE_REFRESH_MS, which covers a rewrite that keeps all three.
 */
export class RefreshingFile {
  private cached: { data: Buffer; stats: Stats; at: number } | undefined;

  constructor(
    readonly path: string,
    private readonly refreshMs = FILE_REFRESH_MS,
  ) {}

  /** The current content; rejects with the fs error (ENOENT, EACCES) when it cannot be read. */
  async read(): Promise<Buffer> {
    const stats = await stat(this.path);
    const c = this.cached;
    if (
      c &&
      c.stats.ino === stats.ino &&
      c.stats.size === stats.size &&
      c.stats.mtimeMs === stats.mtimeMs &&
      Date.now() - c.at < this.refreshMs
    )
      return c.data;
    const data = await readFile(this.path);
    this.cached = { data, stats, at: Date.now() };
    return data;
  }
}
