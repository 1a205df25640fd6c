import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../src/backoff.js';
import { RefreshingFile } from '../src/refreshing-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-refreshing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = async (f: RefreshingFile): Promise<string> => (await f.read()).toString();

describe('RefreshingFile', () => {
  it('sees a rewrite and an atomic replace (the kubelet rotating a token) at once', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'first');
    const f = new RefreshingFile(path);
    expect(await text(f)).toBe('first');
    writeFileSync(path, 'second!');
    expect(await text(f)).toBe('second!');
    // Same size, new inode.
    writeFileSync(join(dir, 'token.new'), 'third!!');
    renameSync(join(dir, 'token.new'), path);
    expect(await text(f)).toBe('third!!');
  });

  it('keeps the content while the file looks unchanged, and re-reads it after refreshMs', async () => {
    const path = join(dir, 'same');
    // Same inode, size and mtime (set to a whole second, which round-trips exactly): only the
    // age bound can notice the change.
    writeFileSync(path, 'aaaa');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const f = new RefreshingFile(path, 300);
    expect(await text(f)).toBe('aaaa');
    writeFileSync(path, 'bbbb');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    expect(await text(f)).toBe('aaaa');
    await sleep(350);
    expect(await text(f)).toBe('bbbb');
  });

  it('rejects with the fs error when the file is gone', async () => {
    const path = join(dir, 'gone');
    writeFileSync(path, 'x');
    const f = new RefreshingFile(path);
    expect(await text(f)).toBe('x');
    rmSync(path);
    await expect(f.read()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
