// Delegation through real processes: the skeleton-built wrapper plugin calls the reference
// host-local IPAM plugin (which only touches its dataDir, so no namespaces are needed).
import { spawn, spawnSync } from 'node:child_process';
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CniRuntime, InternalError, parseConfList } from '../src/index.js';
import { PACKAGE_DIR, removeTempDirs, requireBuild, scriptPlugin, tempDir } from './helpers.js';

const WRAPPER = join(PACKAGE_DIR, 'test', 'fixtures', 'ipam-wrapper-plugin.mjs');
let bin: string;

beforeAll(async () => {
  requireBuild();
  bin = await tempDir('cni-deleg');
  await symlink(WRAPPER, join(bin, 'wrapper'));
  await symlink('/usr/lib/cni/host-local', join(bin, 'host-local'));
  // A delegate that talks on stderr, to see it pass through the wrapper to the runtime.
  await scriptPlugin(
    bin,
    'noisy-ipam',
    `echo "noisy-ipam says $CNI_COMMAND" >&2
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.9/24"}]}'
exit 0`,
  );
});

async function setup(extra: object, ipamType = 'host-local') {
  const dir = await tempDir('cni-deleg-run');
  const dataDir = join(dir, 'ipam');
  const list = parseConfList(
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'delegnet',
      plugins: [
        {
          type: 'wrapper',
          ipam: { type: ipamType, dataDir, ranges: [[{ subnet: '10.88.0.0/24' }]] },
          ...extra,
        },
      ],
    }),
  );
  const stderr: string[] = [];
  const runtime = new CniRuntime({
    pluginPaths: [bin],
    cacheDir: join(dir, 'cache'),
    onStderr: (c) => void stderr.push(c.toString()),
  });
  const held = async (): Promise<string[]> =>
    (await readdir(join(dataDir, 'delegnet')).catch(() => [] as string[])).filter((f) =>
      f.startsWith('10.'),
    );
  return { list, runtime, held, stderr };
}

const dataDirOf = (list: ReturnType<typeof parseConfList>): string =>
  String(list.plugins[0]?.ipam?.dataDir);

const rt = { containerId: 'deleg-1', netns: '/run/netns/unused', ifName: 'eth0' };

afterAll(async () => {
  await removeTempDirs();
});

describe('delegation', { timeout: 30_000 }, () => {
  it('delegateAdd returns the IPAM result; delegateDel releases it', async () => {
    const { list, runtime, held } = await setup({});
    const result = await runtime.addNetworkList(list, rt);
    expect(result.ips?.[0]?.address).toBe('10.88.0.2/24');
    expect(result.interfaces).toEqual([{ name: 'eth0', sandbox: '/run/netns/unused' }]);
    expect(await held()).toEqual(['10.88.0.2']);
    await runtime.delNetworkList(list, rt);
    expect(await held()).toEqual([]);
  });

  it('rolls the IPAM allocation back when the plugin fails after the delegate succeeded', async () => {
    const { list, runtime, held } = await setup({ failAfterIpam: true });
    const err = await runtime.addNetworkList(list, rt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as InternalError).msg).toBe(
      'plugin wrapper (ADD): could not configure the interface',
    );
    // host-local did allocate (it recorded the address it handed out) but it is free again.
    expect(await readdir(join(dataDirOf(list), 'delegnet'))).toContain('last_reserved_ip.0');
    expect(await held()).toEqual([]);
  });

  it('passes the delegate stderr through', async () => {
    const { list, runtime, stderr } = await setup({}, 'noisy-ipam');
    const result = await runtime.addNetworkList(list, rt);
    expect(result.ips?.[0]?.address).toBe('10.88.0.9/24');
    expect(stderr.join('')).toContain('noisy-ipam says ADD');
  });

  it('a crashing plugin prints code 999 JSON on stdout, the stack on stderr, and exits 1', () => {
    const r = spawnSync(WRAPPER, [], {
      env: {
        ...process.env,
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'c1',
        CNI_NETNS: '/run/netns/x',
        CNI_IFNAME: 'eth0',
        CNI_PATH: bin,
      },
      input: JSON.stringify({ cniVersion: '0.4.0', name: 'n', type: 'wrapper', crash: true }),
    });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    expect(out).toMatchObject({ cniVersion: '0.4.0', code: 999 });
    expect(String(out.msg)).toMatch(/JSON/);
    expect(r.stdout.toString()).not.toMatch(/\n\s+at /);
    expect(r.stderr.toString()).toMatch(/SyntaxError[\s\S]*\n\s+at /);
  });

  it('exits promptly with status 1 when the runtime closed its stdout', async () => {
    const child = spawn(WRAPPER, [], {
      env: { ...process.env, CNI_COMMAND: 'VERSION' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdout.destroy(); // the reader is gone before the plugin writes its answer
    child.stdin.end('{"cniVersion":"1.0.0"}');
    const started = Date.now();
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
