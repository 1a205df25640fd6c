import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

  it('pack only dist (js + .d.ts), README and package.json (linux: its setns addon source)', () => {
    for (const name of PUBLISHED) {
      const files = packed.get(name)?.files.map((f) => f.path) ?? [];
      const extra = name === 'linux' ? ['native/netns.c'] : [];
      const unexpected = files.filter(
        (f) =>
          !/^dist\/.+\.(js|d\.ts)$/.test(f) && !['README.md', 'package.json', ...extra].includes(f),
      );
      expect(unexpected, name).toEqual([]);
      expect(files, name).toEqual(
        expect.arrayContaining([
          'README.md',
          'package.json',
          'dist/index.js',
          'dist/index.d.ts',
          ...extra,
        ]),
      );
      expect(
        files.filter((f) => /(^|\/)(src|test|out-tsc)\/|\.tsbuildinfo$|\.map$/.test(f)),
        name,
      ).toEqual([]);
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
      expect(
        existsSync(join(project, 'node_modules', '@switchyard', name, 'dist', 'index.js')),
        name,
      ).toBe(true);
      expect(existsSync(join(project, 'node_modules', '@switchyard', name, 'src')), name).toBe(
        false,
      );
    }
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
