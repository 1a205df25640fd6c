import { run } from '@switchyard/linux';
import { nodeNetns, type TestbedLayout } from './layout.js';
import type { ResolvedOptions } from './options.js';
import type { NodeRecord } from './state.js';

/** The underlay bridge in the lab namespace; node i's veth peer there is `n<i>`. */
export const UNDERLAY_BRIDGE = 'br0';
/** Each node's underlay interface, like a machine's first NIC. */
export const NODE_UPLINK = 'eth0';

/** Creates a namespace with loopback up. */
export async function addNetns(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

async function sysctl(netns: string, key: string, value: string): Promise<void> {
  await run(['ip', 'netns', 'exec', netns, 'sysctl', '-qw', `${key}=${value}`]);
}

/** The lab namespace and its underlay bridge holding `labIP`. */
export async function createLab(layout: TestbedLayout, opts: ResolvedOptions): Promise<void> {
  const ns = layout.labNetns;
  await addNetns(ns);
  await run(['ip', '-n', ns, 'link', 'add', UNDERLAY_BRIDGE, 'type', 'bridge']);
  await run([
    'ip',
    '-n',
    ns,
    'addr',
    'add',
    `${opts.labIP}/${opts.underlayPrefix}`,
    'dev',
    UNDERLAY_BRIDGE,
  ]);
  await run(['ip', '-n', ns, 'link', 'set', UNDERLAY_BRIDGE, 'up']);
}

/**
 * A node namespace wired to the underlay bridge. It forwards (pods route through it), and has no
 * default route: it reaches the lab and the other nodes on the underlay, nothing else.
 */
export async function createNode(
  layout: TestbedLayout,
  opts: ResolvedOptions,
  index: number,
): Promise<NodeRecord> {
  const name = layout.nodeNames[index]!;
  const internalIP = opts.nodeIPs[index]!;
  const ns = nodeNetns(layout.netnsPrefix, name);
  const labEnd = `n${index + 1}`;
  await addNetns(ns);
  // The peer is created directly in the node namespace: nothing passes through the root namespace.
  await run([
    'ip',
    '-n',
    layout.labNetns,
    'link',
    'add',
    labEnd,
    'type',
    'veth',
    'peer',
    'name',
    NODE_UPLINK,
    'netns',
    ns,
  ]);
  await run(['ip', '-n', layout.labNetns, 'link', 'set', labEnd, 'master', UNDERLAY_BRIDGE, 'up']);
  await run([
    'ip',
    '-n',
    ns,
    'addr',
    'add',
    `${internalIP}/${opts.underlayPrefix}`,
    'dev',
    NODE_UPLINK,
  ]);
  await run(['ip', '-n', ns, 'link', 'set', NODE_UPLINK, 'up']);
  await sysctl(ns, 'net.ipv4.ip_forward', '1');
  return { name, netns: ns, internalIP };
}
