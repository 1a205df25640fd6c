// The container image's recipe without a container engine: `scripts/image.sh assemble` (what the
// Dockerfile's build stage runs) lays the runtime files out in a temporary directory, and every
// app runs from there by its command. The image's own switchyard-agent then installs the CNI
// artefacts onto a "node" (a directory plus a network namespace), the image tree is deleted, and
// the installed shim still answers ADD and DEL through its installed standalone fallback: what a
// kind node, which has no Node.js, relies on while the agent is down.
// When docker or podman works here, the real image is built too and each command run inside it.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, run, runUnchecked, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const IMAGE_SH = join(ROOT, 'scripts/image.sh');
const SHIM_SOURCE = join(ROOT, 'apps/switchyard-cni/shim/switchyard-cni.c');
const SHIM_BUILT = join(ROOT, 'apps/switchyard-cni/dist/switchyard-cni');
/** Every command the image runs, and a word its --help prints. */
const COMMANDS: Record<string, RegExp> = {
  switchyard: /switchyard testbed up/,
  'switchyard-agent': /node agent/,
  'switchyard-proxy': /kube-proxy replacement/,
  'switchyard-dns': /switchyard-dns/,
  'switchyard-ingress': /switchyard-ingress/,
  'switchyard-cni-standalone': /CNI protocol versions supported/,
};
const POD_CIDR = '10.219.7.0/24';

let work: string;
let rootfs: string;

function walk(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => join(dir, p));
}

beforeAll(async () => {
  await sweepStaleNetns();
  if (!existsSync(SHIM_BUILT) || statSync(SHIM_BUILT).mtimeMs < statSync(SHIM_SOURCE).mtimeMs) {
    await run(['bash', join(ROOT, 'apps/switchyard-cni/scripts/build-shim.sh')]);
  }
  work = mkdtempSync(join(tmpdir(), 'sy-image-'));
  rootfs = join(work, 'rootfs');
  await run(['bash', IMAGE_SH, 'assemble', rootfs], { timeoutMs: 120_000 });
}, 150_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the assembled image filesystem', () => {
  it('links every command into /usr/local/bin and keeps every link inside the tree', () => {
    const bin = join(rootfs, 'usr/local/bin');
    expect(readdirSync(bin).sort()).toEqual(Object.keys(COMMANDS).sort());
    const tree = realpathSync(rootfs);
    for (const path of walk(rootfs)) {
      if (!lstatSync(path).isSymbolicLink()) continue;
      const target = resolve(dirname(path), readlinkSync(path));
      expect(target.startsWith(`${tree}/`), `${path} -> ${target}`).toBe(true);
      expect(existsSync(target), `${path} -> ${target}`).toBe(true);
    }
    // The image carries no sources, tests or build info, only what runs.
    const names = walk(join(rootfs, 'opt/switchyard'));
    expect(
      names.filter((p) => /\.ts$|\.tsbuildinfo$|\/test\//.test(p) && !/node_modules/.test(p)),
    ).toEqual([]);
    expect(
      statSync(join(rootfs, 'opt/switchyard/apps/switchyard-cni/dist/switchyard-cni')).mode & 0o111,
    ).not.toBe(0);
  });

  it.each(Object.entries(COMMANDS))('runs %s --help from the tree alone', async (name, word) => {
    // A bare environment: node on PATH, nothing of the repository reachable.
    const r = await runUnchecked([join(rootfs, 'usr/local/bin', name), '--help'], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      timeoutMs: 30_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(word);
  });
});

describe("the image's agent installs the CNI artefacts onto a node", () => {
  // Fresh per attempt (the e2e project retries once): namespaces, node directory, IPAM store.
  let node: Netns | undefined;
  let pod: Netns | undefined;
  afterEach(async () => {
    await pod?.delete();
    await node?.delete();
  });

  it('leaves a shim whose fallback works after the image is gone', async () => {
    node = await createNetns('imgnode');
    pod = await createNetns('imgpod');
    const host = mkdtempSync(join(work, 'host-'));
    const binDir = join(host, 'opt/cni/bin');
    const confDir = join(host, 'etc/cni/net.d');
    const home = join(rootfs, 'opt/switchyard');
    const agent = node.spawn([
      join(rootfs, 'usr/local/bin/switchyard-agent'),
      `--pod-cidr=${POD_CIDR}`,
      '--overlay-mode=none',
      '--health-port=0',
      `--cni-conf-dir=${confDir}`,
      `--cni-bin-dir=${binDir}`,
      `--ipam-data-dir=${join(host, 'run/switchyard/ipam')}`,
      `--socket=${join(host, 'run/switchyard/cni.sock')}`,
      `--install-shim=${home}/apps/switchyard-cni/dist/switchyard-cni`,
      `--install-fallback=${home}/cni-fallback/app`,
    ]);
    let log = '';
    agent.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    agent.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const deadline = Date.now() + 60_000;
    while (!log.includes('"agent started"')) {
      if (agent.exitCode !== null || Date.now() > deadline) throw new Error(`agent:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));

    const conflist = JSON.parse(readFileSync(join(confDir, '10-switchyard.conflist'), 'utf8')) as {
      plugins: { nodeBinary: string; standaloneScript: string }[];
    };
    const plugin = conflist.plugins[0]!;
    expect(plugin.nodeBinary.startsWith(join(binDir, 'switchyard-fallback/'))).toBe(true);
    expect(plugin.standaloneScript.startsWith(dirname(plugin.nodeBinary))).toBe(true);
    expect(readFileSync(join(binDir, 'switchyard'))).toEqual(
      readFileSync(join(home, 'apps/switchyard-cni/dist/switchyard-cni')),
    );

    // The node keeps only what the agent installed: no image, no repository on any path the
    // fallback could resolve from (it lives under a temporary directory).
    const hidden = `${rootfs}.away`;
    renameSync(rootfs, hidden);
    try {
      await addAndDelete(node, pod, binDir, plugin);
    } finally {
      renameSync(hidden, rootfs);
    }
  }, 120_000);

  async function addAndDelete(
    node: Netns,
    pod: Netns,
    binDir: string,
    plugin: object,
  ): Promise<void> {
    const conf = JSON.stringify({ ...plugin, cniVersion: '1.0.0', name: 'switchyard' });
    const cni = (verb: string): Promise<{ exitCode: number; stdout: string; stderr: string }> =>
      node.execUnchecked([join(binDir, 'switchyard')], {
        input: conf,
        env: {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          CNI_COMMAND: verb,
          CNI_CONTAINERID: 'image-test',
          CNI_NETNS: pod.path,
          CNI_IFNAME: 'eth0',
          CNI_PATH: binDir,
        },
        timeoutMs: 60_000,
      });
    const add = await cni('ADD');
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    const ips = (JSON.parse(add.stdout) as { ips: { address: string }[] }).ips;
    expect(ips.map((i) => i.address)).toEqual(['10.219.7.2/24']);
    const { stdout } = await pod.exec(['ip', '-j', 'addr', 'show', 'eth0']);
    expect(stdout).toContain('10.219.7.2');
    const del = await cni('DEL');
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect((await pod.execUnchecked(['ip', 'link', 'show', 'eth0'])).exitCode).not.toBe(0);
  }
});

// The real build needs a working engine and its two base images already present (nothing is
// pulled during a test run): node:20-bookworm and node:20-bookworm-slim, or the images named by
// SWITCHYARD_IMAGE_BUILD_BASE / SWITCHYARD_IMAGE_BASE (e.g. from `scripts/image.sh local-base`),
// and SWITCHYARD_IMAGE_NETWORK for the build's network (e.g. host).
const BASE = process.env.SWITCHYARD_IMAGE_BASE ?? 'node:20-bookworm-slim';
const BUILD_BASE = process.env.SWITCHYARD_IMAGE_BUILD_BASE ?? 'node:20-bookworm';
const NETWORK = process.env.SWITCHYARD_IMAGE_NETWORK;

function works(argv: string[]): boolean {
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

const engine = ['docker', 'podman'].find((e) => works([e, 'info']));
const skipReason = !engine
  ? 'no container engine: docker info and podman info both failed'
  : [BASE, BUILD_BASE]
      .filter((image) => !works([engine, 'image', 'inspect', image]))
      .map((image) => `base image ${image} is not present in ${engine}`)
      .join('; ');

describe('the real image (where a container engine works)', () => {
  it.skipIf(skipReason !== '')(
    `builds with scripts/image.sh and runs every command inside${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    async () => {
      const tag = 'localhost/switchyard/switchyard:e2e';
      const args = ['--engine', engine!, '--tag', tag, '--base', BASE, '--build-base', BUILD_BASE];
      if (NETWORK) args.push('--network', NETWORK);
      await run(['bash', IMAGE_SH, 'build', ...args], { timeoutMs: 1_500_000 });
      for (const [name, word] of Object.entries(COMMANDS)) {
        const r = await run([engine!, 'run', '--rm', '--network=none', tag, name, '--help']);
        expect(r.stdout + r.stderr).toMatch(word);
      }
      const user = await run([engine!, 'run', '--rm', '--network=none', tag, 'id', '-u']);
      expect(user.stdout.trim()).toBe('65532');
    },
    1_600_000,
  );
});
