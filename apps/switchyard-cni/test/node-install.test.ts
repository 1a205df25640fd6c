import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FALLBACK_DIR_NAME,
  NodeInstallError,
  installFallback,
  installShim,
} from '../src/agent/node-install.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sy-node-install-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

describe('installShim', () => {
  it('copies the shim as <bin dir>/switchyard, keeps it when unchanged, replaces it when not', () => {
    const source = join(work, 'shim');
    write(source, '#!/bin/sh\necho v1\n');
    const bin = join(work, 'opt/cni/bin');
    expect(installShim(source, bin)).toBe(true);
    expect(readFileSync(join(bin, 'switchyard'), 'utf8')).toContain('v1');
    const mtime = statSync(join(bin, 'switchyard')).mtimeMs;
    expect(installShim(source, bin)).toBe(false);
    expect(statSync(join(bin, 'switchyard')).mtimeMs).toBe(mtime);
    write(source, '#!/bin/sh\necho v2\n');
    expect(installShim(source, bin)).toBe(true);
    expect(readFileSync(join(bin, 'switchyard'), 'utf8')).toContain('v2');
    expect(readdirSync(bin)).toEqual(['switchyard']);
  });

  it('throws NodeInstallError for a missing source and creates nothing', () => {
    const bin = join(work, 'bin');
    expect(() => installShim(join(work, 'nope'), bin)).toThrow(NodeInstallError);
    expect(existsSync(bin)).toBe(false);
  });
});

describe('installFallback', () => {
  // A fallback tree in the app's layout whose standalone entry imports a sibling module and
  // reports which node runs it, so running the installed copy shows what it resolved.
  function tree(version: string): string {
    const dir = join(work, `tree-${version}`);
    write(
      join(dir, 'dist/plugin/standalone.js'),
      `import { v } from './v.js';\nconsole.log(JSON.stringify({ v, node: process.execPath }));\n`,
    );
    write(join(dir, 'dist/plugin/v.js'), `export const v = '${version}';\n`);
    write(join(dir, 'package.json'), '{"type":"module"}\n');
    return dir;
  }

  it('installs node + the tree under a content-hash directory that the copied node runs', () => {
    const bin = join(work, 'bin');
    const first = installFallback(tree('one'), process.execPath, bin);
    expect(first.changed).toBe(true);
    expect(first.nodeBinary.startsWith(join(bin, FALLBACK_DIR_NAME))).toBe(true);
    expect(statSync(first.nodeBinary).mode & 0o111).not.toBe(0);
    const out = execFileSync(first.nodeBinary, [first.standaloneScript], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ v: 'one', node: first.nodeBinary });

    const again = installFallback(tree('one'), process.execPath, bin);
    expect(again).toEqual({ ...first, changed: false });

    const second = installFallback(tree('two'), process.execPath, bin);
    expect(second.changed).toBe(true);
    expect(second.standaloneScript).not.toBe(first.standaloneScript);
    // Only the new version stays, and no temp directory is left behind.
    expect(readdirSync(join(bin, FALLBACK_DIR_NAME))).toHaveLength(1);
    expect(existsSync(first.nodeBinary)).toBe(false);
    const out2 = execFileSync(second.nodeBinary, [second.standaloneScript], { encoding: 'utf8' });
    expect(JSON.parse(out2)).toMatchObject({ v: 'two' });
  });

  it('rejects a tree without the standalone entry, or a missing node, changing nothing', () => {
    const bin = join(work, 'bin');
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expect(() => installFallback(empty, process.execPath, bin)).toThrow(/standalone\.js/);
    expect(() => installFallback(tree('x'), join(work, 'no-node'), bin)).toThrow(NodeInstallError);
    expect(existsSync(bin)).toBe(false);
  });
});
