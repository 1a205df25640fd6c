import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@switchyard/linux';

// What a user gets from the registry: each published package packed as npm would publish it,
// then installed from the tarballs alone into a project outside the repository (third-party
// dependencies come from the registry) and imported from plain Node ESM.

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const PUBLISHED = ['linux', 'cni-spec', 'ipam', 'overlay', 'proxy-rules', 'dns', 'ingress'];

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

interface PackageJson {
  name: string;
  private?: boolean;
  exports?: Record<string, string | { types?: string; default?: string }>;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
}

const tmp = mkdtempSync(join(tmpdir(), 'sy-release-'));
const packed = new Map<string, PackResult>();
const manifest = (name: string): PackageJson =>
  JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as PackageJson;

beforeAll(async () => {
  // The tarballs carry dist/, so build first (incremental: quick when nx already built them).
  await run([
    'npx',
    'tsc',
    '-b',
    ...PUBLISHED.map((p) => join(ROOT, 'packages', p, 'tsconfig.lib.json')),
  ]);
  for (const name of PUBLISHED) {
    const { stdout } = await run([
      'npm',
      'pack',
      join(ROOT, 'packages', name),
      '--json',
      '--pack-destination',
      tmp,
    ]);
    const [result] = JSON.parse(stdout) as PackResult[];
    if (!result) throw new Error(`npm pack ${name} printed no result`);
    packed.set(name, result);
  }
}, 240_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('published packages', () => {
  it('are exactly the six SDK packages and linux, none private', () => {
    for (const name of PUBLISHED) expect(manifest(name).private, name).toBeUndefined();
    for (const name of ['kube', 'testbed']) expect(manifest(name).private, name).toBe(true);
  });

  it('pack dist (js, .d.ts, source maps), the TypeScript sources, README and package.json', () => {
    for (const name of PUBLISHED) {
      const files = packed.get(name)?.files.map((f) => f.path) ?? [];
      const extra = name === 'linux' ? ['native/netns.c'] : [];
      const unexpected = files.filter(
        (f) =>
          !/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(f) &&
          !/^src\/.+\.ts$/.test(f) &&
          !['README.md', 'package.json', ...extra].includes(f),
      );
      expect(unexpected, name).toEqual([]);
      expect(files, name).toEqual(
        expect.arrayContaining([
          'README.md',
          'package.json',
          'dist/index.js',
          'dist/index.d.ts',
          'dist/index.js.map',
          'src/index.ts',
          ...extra,
        ]),
      );
      expect(
        files.filter((f) => /(^|\/)(test|out-tsc)\/|\.tsbuildinfo$/.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it('ship every map a file points at, and every source a map names', () => {
    for (const name of PUBLISHED) {
      const dir = join(ROOT, 'packages', name);
      const files = new Set(packed.get(name)?.files.map((f) => f.path));
      const missing: string[] = [];
      let maps = 0;
      for (const file of files) {
        if (!/\.(js|d\.ts)$/.test(file)) continue;
        const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(dir, file), 'utf8'));
        if (!ref) continue;
        const map = posix.join(posix.dirname(file), ref[1]!);
        if (!files.has(map)) missing.push(`${file} -> ${map}`);
        else {
          maps++;
          const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as {
            sources: string[];
          };
          for (const source of sources) {
            const path = posix.join(posix.dirname(map), source);
            if (!files.has(path)) missing.push(`${map} -> ${path}`);
          }
        }
      }
      expect(missing, name).toEqual([]);
      expect(maps, name).toBeGreaterThan(1);
    }
  });

  it('pack every file their exports, types and bins point at', () => {
    for (const name of PUBLISHED) {
      const pkg = manifest(name);
      const files = new Set(packed.get(name)?.files.map((f) => f.path));
      const targets = [
        pkg.types,
        ...Object.values(pkg.bin ?? {}),
        ...Object.entries(pkg.exports ?? {}).flatMap(([key, v]) =>
          key === './package.json' ? [] : typeof v === 'string' ? [v] : [v.types, v.default],
        ),
      ].flatMap((t) => (t ? [t.replace(/^\.\//, '')] : []));
      expect(targets.length, name).toBeGreaterThan(1);
      expect(
        targets.filter((t) => !files.has(t)),
        name,
      ).toEqual([]);
    }
  });

  it('install from the tarballs into a clean project and import from plain Node ESM', async () => {
    const project = join(tmp, 'consumer');
    await run(['mkdir', '-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const tarballs = PUBLISHED.map((name) => join(tmp, packed.get(name)?.filename ?? ''));
    await run(
      [
        'npm',
        'install',
        '--prefix',
        project,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs,
      ],
      {
        timeoutMs: 180_000,
      },
    );
    // Installed, not linked back into the repository.
    for (const name of PUBLISHED) {
      const installed = join(project, 'node_modules', '@switchyard', name);
      expect(lstatSync(installed).isSymbolicLink(), name).toBe(false);
      expect(existsSync(join(installed, 'dist', 'index.js')), name).toBe(true);
      expect(existsSync(join(installed, 'test')), name).toBe(false);
    }
    // With --enable-source-maps a user's stack trace names our TypeScript sources, line included.
    writeFileSync(
      join(project, 'trace.mjs'),
      `import { Cidr } from '@switchyard/ipam';\ntry { Cidr.parse('10.0.0.1'); } catch (e) { console.log(e.stack); }\n`,
    );
    const trace = await run(['node', '--enable-source-maps', join(project, 'trace.mjs')]);
    expect(trace.stdout).toMatch(/missing "\/prefix"/);
    expect(trace.stdout).toMatch(/node_modules\/@switchyard\/ipam\/src\/cidr\.ts:\d+:\d+/);
    // Each import exercises the package a little, so a missing dependency or file would show.
    writeFileSync(
      join(project, 'check.mjs'),
      `
import { createNetns, parseCidr } from '@switchyard/linux';
import { parseConfList, convertResult } from '@switchyard/cni-spec';
import { pluginMain } from '@switchyard/cni-spec/plugin';
import { Cidr } from '@switchyard/ipam';
import { OverlayReconciler, chooseVtepMac } from '@switchyard/overlay';
import { compile, renderFullSync } from '@switchyard/proxy-rules';
import { Zone, Resolver, RRType } from '@switchyard/dns';
import { RouteTable, compileIngresses } from '@switchyard/ingress';

const list = parseConfList(JSON.stringify({ cniVersion: '1.1.0', name: 'n', plugins: [{ type: 'bridge' }] }));
const v02 = convertResult({ cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/24' }] }, '0.2.0');
const { ruleset } = compile({
  node: { name: 'n1', addresses: ['192.168.0.10'], clusterCIDRs: ['10.244.0.0/16'] },
  services: [{ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] } }],
  endpointSlices: [],
});
const zone = new Zone();
zone.upsertService({ metadata: { namespace: 'default', name: 'web' }, spec: { clusterIPs: ['10.96.0.10'] } });
zone.markSynced();
const answer = new Resolver(zone, {}).resolve({ name: 'web.default.svc.cluster.local', type: RRType.A, class: 1 });
const { routes } = compileIngresses([{ metadata: { name: 'i', namespace: 'default' }, spec: { rules: [] } }]);
console.log(JSON.stringify({
  linux: typeof createNetns === 'function' && typeof parseCidr === 'function',
  cniSpec: list.cniVersion,
  cniPlugin: typeof pluginMain,
  converted: v02.ip4?.ip,
  ipam: Cidr.parse('10.244.1.0/24').toString(),
  overlay: typeof OverlayReconciler === 'function' && chooseVtepMac('0a:58:0a:f4:01:01') === '0a:58:0a:f4:01:01',
  proxyRules: renderFullSync(ruleset).includes('10.96.0.10 . tcp . 80'),
  dns: answer?.answers[0]?.address,
  ingress: new RouteTable(routes).size,
}));
`,
    );
    const { stdout } = await run(['node', join(project, 'check.mjs')]);
    expect(JSON.parse(stdout)).toEqual({
      linux: true,
      cniSpec: '1.1.0',
      cniPlugin: 'function',
      converted: '10.1.0.5/24',
      ipam: '10.244.1.0/24',
      overlay: true,
      proxyRules: true,
      dns: '10.96.0.10',
      ingress: 0,
    });
    // The bin works from the install (npm sets the executable bit through its link).
    const usage = await run([
      join(project, 'node_modules', '.bin', 'switchyard-cnitool'),
      'version',
    ]).catch((e: Error) => e);
    expect(String(usage instanceof Error ? usage.message : usage.stdout)).toMatch(
      /usage:|switchyard-cnitool/,
    );
  }, 240_000);
});
