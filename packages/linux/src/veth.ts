import { NetnsError } from './errors.js';
import type { Netns } from './netns.js';
import { run } from './run.js';

export interface VethEnd {
  netns: Netns;
  /** Interface name inside `netns` (1-15 characters). */
  name: string;
  /** Addresses in CIDR form, e.g. `10.0.0.1/24` or `fd00::1/64`. */
  addresses?: readonly string[];
}

const IFNAME = /^[^\s/:]{1,15}$/;

/** Creates a veth pair with one end in each namespace, assigns the addresses and sets both up. */
export async function createVethPair(a: VethEnd, b: VethEnd): Promise<void> {
  for (const end of [a, b]) {
    if (!IFNAME.test(end.name) || end.name === '.' || end.name === '..') {
      throw new NetnsError(`invalid interface name ${JSON.stringify(end.name)}`, end.netns.name);
    }
  }
  // The peer is created directly in b's namespace, so nothing ever appears in the root namespace.
  await run([
    'ip',
    '-n',
    a.netns.name,
    'link',
    'add',
    a.name,
    'type',
    'veth',
    'peer',
    'name',
    b.name,
    'netns',
    b.netns.name,
  ]);
  for (const end of [a, b]) {
    for (const address of end.addresses ?? []) {
      // Like the CNI bridge plugin, skip IPv6 duplicate address detection: the link is new and
      // private, and a tentative address would make the first packets fail for ~2 s.
      const nodad = address.includes(':') ? ['nodad'] : [];
      await run(['ip', '-n', end.netns.name, 'addr', 'add', address, 'dev', end.name, ...nodad]);
    }
    await run(['ip', '-n', end.netns.name, 'link', 'set', end.name, 'up']);
  }
}
