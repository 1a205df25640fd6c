import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { CniError, type CmdArgs, type Result } from '@switchyard/cni-spec/plugin';

const exec = promisify(execFile);

/** Plugin-defined error code (100+ belong to plugins): lo is not up where it should be. */
export const LOOPBACK_DOWN = 100;

// The plugin always works on `lo`, whatever CNI_IFNAME says: runtimes call loopback with ifname lo.

/** Runs `ip` inside the pod's network namespace (a path such as /run/netns/pod1). */
async function ipIn(netns: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('nsenter', [`--net=${netns}`, 'ip', ...args]);
  return stdout;
}

interface IpAddr {
  flags?: string[];
  addr_info?: { local: string; prefixlen: number }[];
}

async function loState(netns: string): Promise<{ up: boolean; addresses: string[] }> {
  const [lo] = JSON.parse(await ipIn(netns, '-j', 'addr', 'show', 'dev', 'lo')) as IpAddr[];
  return {
    up: lo?.flags?.includes('UP') ?? false,
    addresses: (lo?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** ADD: brings `lo` up in the pod namespace and reports its addresses. */
export async function add(a: CmdArgs): Promise<Result> {
  await ipIn(a.netns, 'link', 'set', 'lo', 'up');
  const { addresses } = await loState(a.netns);
  return {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: a.netns }],
    ips: addresses.map((address) => ({ address, interface: 0 })),
  };
}

/** CHECK: `lo` must still be up. */
export async function check(a: CmdArgs): Promise<void> {
  const { up } = await loState(a.netns);
  if (!up) throw new CniError(LOOPBACK_DOWN, `lo is down in ${a.netns}`);
}

/** DEL: takes `lo` down; succeeds when the namespace is already gone (nothing to undo). */
export async function del(a: CmdArgs): Promise<void> {
  if (!a.netns || !existsSync(a.netns)) return;
  await ipIn(a.netns, 'link', 'set', 'lo', 'down');
}
