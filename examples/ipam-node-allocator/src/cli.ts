import { NodeAllocator } from './node-allocator.js';

export const USAGE = `usage: ipam-node-allocator --pod-cidr CIDR[,CIDR] --data-dir DIR COMMAND
  allocate CONTAINER [IFNAME]   an address per pod CIDR for the pod (prints them)
  release CONTAINER [IFNAME]    frees the pod's addresses
  gc [CONTAINER[/IFNAME] ...]   frees every address not held by one of these attachments
  list                          address, container and interface of every allocation`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs one command line against the store and returns what it prints. */
export function nodeAllocatorCli(argv: readonly string[]): string {
  const rest = [...argv];
  let podCidrs: string[] | undefined;
  let dataDir: string | undefined;
  const words: string[] = [];
  while (rest.length > 0) {
    const a = rest.shift() as string;
    if (a === '--pod-cidr' || a === '--data-dir') {
      const v = rest.shift();
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === '--pod-cidr') podCidrs = v.split(',');
      else dataDir = v;
    } else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
    else words.push(a);
  }
  if (!podCidrs || !dataDir) throw new UsageError('--pod-cidr and --data-dir are required');
  const ipam = new NodeAllocator({ node: { spec: { podCIDRs: podCidrs } }, dataDir });
  const [command, ...args] = words;
  const pod = (): { containerId: string; ifName?: string } => {
    const [containerId, ifName, extra] = args;
    if (!containerId || extra !== undefined) throw new UsageError(`${command} CONTAINER [IFNAME]`);
    return ifName ? { containerId, ifName } : { containerId };
  };
  const lines = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');
  switch (command) {
    case 'allocate':
      return lines(ipam.allocate(pod()));
    case 'release':
      return lines(ipam.release(pod()));
    case 'gc':
      // Like switchyard-cnitool gc: attachments are CONTAINER/IFNAME, the interface eth0 by default.
      return lines(
        ipam.gc(
          args.map((a) => {
            const [containerId = '', ifName] = a.split('/');
            return ifName ? { containerId, ifName } : { containerId };
          }),
        ),
      );
    case 'list':
      if (args.length) throw new UsageError('list takes no arguments');
      return lines(ipam.list().map((a) => `${a.address} ${a.containerId} ${a.ifName}`));
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'name a command');
  }
}
