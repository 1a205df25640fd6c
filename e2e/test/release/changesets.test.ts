import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `changeset version` on a copy of the workspace manifests and the pending changesets (never on
// the repository itself): it must bump the published packages, write their changelogs, and leave
// the private ones alone.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const PUBLISHED = ['linux', 'cni-spec', 'ipam', 'overlay', 'proxy-rules', 'dns', 'ingress'];
const SUMMARY = 'Release test: a patch to @switchyard/linux.';

const tmp = mkdtempSync(join(tmpdir(), 'sy-changesets-'));
const version = (dir: string): string =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const semver = (v: string): number[] => v.split('-')[0]!.split('.').map(Number);
const newer = (a: string, b: string): boolean => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/** Every workspace directory (packages, apps, examples, e2e) holding a package.json. */
function workspaces(): string[] {
  const dirs = ['packages', 'apps', 'examples'].flatMap((group) =>
    readdirSync(join(ROOT, group)).map((name) => `${group}/${name}`),
  );
  return [...dirs, 'e2e'].filter((d) => existsSync(join(ROOT, d, 'package.json')));
}

const before = new Map<string, string>();

beforeAll(() => {
  cpSync(join(ROOT, 'package.json'), join(tmp, 'package.json'));
  cpSync(join(ROOT, '.changeset'), join(tmp, '.changeset'), { recursive: true });
  for (const dir of workspaces()) {
    mkdirSync(join(tmp, dir), { recursive: true });
    cpSync(join(ROOT, dir, 'package.json'), join(tmp, dir, 'package.json'));
    before.set(dir, version(join(ROOT, dir)));
  }
  // The changelog generator named in config.json resolves from the copy.
  symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
  writeFileSync(
    join(tmp, '.changeset', 'release-test.md'),
    `---\n'@switchyard/linux': patch\n---\n\n${SUMMARY}\n`,
  );
  execFileSync(join(ROOT, 'node_modules', '.bin', 'changeset'), ['version'], {
    cwd: tmp,
    stdio: 'pipe',
  });
}, 60_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('changeset version', () => {
  it('bumps every published package and writes its changelog', () => {
    for (const name of PUBLISHED) {
      const dir = `packages/${name}`;
      const now = version(join(tmp, dir));
      expect(newer(now, before.get(dir) ?? ''), `${name} ${before.get(dir)} -> ${now}`).toBe(true);
      const changelog = readFileSync(join(tmp, dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog, name).toMatch(
        new RegExp(`^# @switchyard/${name}\\n\\n## ${now.replace(/\./g, '\\.')}\\n`),
      );
    }
    const linux = readFileSync(join(tmp, 'packages/linux/CHANGELOG.md'), 'utf8');
    expect(linux).toContain(SUMMARY);
    // A dependent records the new version of what it depends on.
    const linuxNow = version(join(tmp, 'packages/linux'));
    expect(readFileSync(join(tmp, 'packages/cni-spec/CHANGELOG.md'), 'utf8')).toContain(
      `@switchyard/linux@${linuxNow}`,
    );
  });

  it('pins published packages to the new versions of the published packages they use', () => {
    // A `*` range would let an install pair a package with any future release of its peers.
    const checked: string[] = [];
    for (const name of PUBLISHED) {
      const manifest = JSON.parse(
        readFileSync(join(tmp, 'packages', name, 'package.json'), 'utf8'),
      ) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
          const used = PUBLISHED.find((p) => dep === `@switchyard/${p}`);
          if (used === undefined) continue;
          expect(range, `${name} ${field} ${dep}`).toBe(`^${version(join(tmp, 'packages', used))}`);
          checked.push(`${name} -> ${used}`);
        }
      }
    }
    expect(checked).toContain('cni-spec -> linux');
    expect(checked).toContain('ipam -> cni-spec');
  });

  it('leaves private packages alone and consumes the changesets', () => {
    for (const [dir, v] of before) {
      if (PUBLISHED.some((p) => dir === `packages/${p}`)) continue;
      expect(version(join(tmp, dir)), dir).toBe(v);
      expect(existsSync(join(tmp, dir, 'CHANGELOG.md')), dir).toBe(false);
    }
    const left = readdirSync(join(tmp, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    expect(left).toEqual([]);
  });
});
