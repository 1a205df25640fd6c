import { FlagsNew, type rt } from 'netlink';
import {
  afOf,
  AF_INET,
  AF_INET6,
  bytesToIp,
  bytesToMac,
  ipFamily,
  ipToBytes,
  macToBytes,
  type IpFamily,
} from './ip-address.js';
import { linkIndex, type LinkRef } from './link.js';
import type { Rtnl } from './rtnl.js';

/** An ARP (IPv4) or NDP (IPv6) neighbour entry. */
export interface Neighbour {
  index: number;
  ip: string;
  family: IpFamily;
  mac: string | undefined;
  permanent: boolean;
}

export interface NeighbourSpec {
  dev: LinkRef;
  ip: string;
  mac: string;
}

export async function listNeighbours(
  nl: Rtnl,
  filter: { index?: number; family?: IpFamily } = {},
): Promise<Neighbour[]> {
  const families = filter.family === undefined ? [AF_INET, AF_INET6] : [afOf(filter.family)];
  const out: Neighbour[] = [];
  for (const family of families) {
    const messages = await nl.read('list neighbours', (s) => s.getNeighbors({ family }));
    for (const m of messages) {
      const n = parseNeighbour(m);
      if (n && (filter.index === undefined || n.index === filter.index)) out.push(n);
    }
  }
  return out;
}

/** Creates or overwrites a permanent entry (`ip neigh replace ... nud permanent`). */
export async function setNeighbour(nl: Rtnl, spec: NeighbourSpec): Promise<void> {
  const dst = ipToBytes(spec.ip);
  const lladdr = macToBytes(spec.mac);
  const ifindex = await linkIndex(nl, spec.dev);
  await nl.write(`set neighbour ${spec.ip} lladdr ${spec.mac} dev ${spec.dev}`, (s) =>
    s.newNeighbor(
      { family: afOf(ipFamily(spec.ip)), ifindex, state: { permanent: true } },
      { dst, lladdr },
      { flags: FlagsNew.CREATE | FlagsNew.REPLACE },
    ),
  );
}

export async function deleteNeighbour(nl: Rtnl, spec: { dev: LinkRef; ip: string }): Promise<void> {
  const dst = ipToBytes(spec.ip);
  const ifindex = await linkIndex(nl, spec.dev);
  await nl.write(`delete neighbour ${spec.ip} dev ${spec.dev}`, (s) =>
    s.delNeighbor({ family: afOf(ipFamily(spec.ip)), ifindex }, { dst }),
  );
}

function parseNeighbour(m: rt.NeighborMessage): Neighbour | undefined {
  const { dst, lladdr } = m.attrs;
  if (!dst) return undefined;
  return {
    index: m.data.ifindex ?? 0,
    ip: bytesToIp(dst),
    family: dst.length === 4 ? 4 : 6,
    mac: lladdr?.length === 6 ? bytesToMac(lladdr) : undefined,
    permanent: m.data.state?.permanent === true,
  };
}
