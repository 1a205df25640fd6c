import type { Netns } from '@switchyard/linux';

interface IpLink {
  ifname: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}

/** Interface names in a namespace. */
export async function linkNames(ns: Netns): Promise<string[]> {
  const { stdout } = await ns.exec(['ip', '-j', 'link', 'show']);
  return (JSON.parse(stdout || '[]') as IpLink[]).map((l) => l.ifname).sort();
}

/** Interfaces of kind veth: left on the host side after DEL they are per-attachment leaks. */
export async function vethNames(ns: Netns): Promise<string[]> {
  const { stdout } = await ns.exec(['ip', '-j', '-d', 'link', 'show']);
  return (JSON.parse(stdout || '[]') as IpLink[])
    .filter((l) => l.linkinfo?.info_kind === 'veth')
    .map((l) => l.ifname)
    .sort();
}

/**
 * Addresses in a namespace as `ifname address/prefix`, e.g. `eth0 10.0.0.2/24`; only scope
 * global ones unless `all` (loopback's 127.0.0.1 and ::1 are scope host).
 */
export async function addresses(ns: Netns, all = false): Promise<string[]> {
  const { stdout } = await ns.exec(['ip', '-j', 'addr', 'show']);
  const out: string[] = [];
  for (const link of JSON.parse(stdout || '[]') as IpAddr[]) {
    for (const a of link.addr_info ?? []) {
      if (all || a.scope === 'global') out.push(`${link.ifname} ${a.local}/${a.prefixlen}`);
    }
  }
  return out.sort();
}
