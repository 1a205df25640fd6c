import { FlagsNew, type rt } from 'netlink';
import { AF_BRIDGE, bytesToIp, bytesToMac, ipToBytes, macToBytes } from './ip-address.js';
import { linkIndex, type LinkRef } from './link.js';
import type { Rtnl } from './rtnl.js';

/**
 * A forwarding-database entry. On a VXLAN device (`self` entries) it maps an inner MAC to the
 * underlay address of the remote VTEP; the all-zero MAC is the default destination for floods.
 */
export interface FdbEntry {
  index: number;
  mac: string;
  /** Remote VTEP (VXLAN devices only). */
  dst: string | undefined;
  /** Bridge the port belongs to (entries learned or added on a bridge port). */
  master: number | undefined;
  self: boolean;
  permanent: boolean;
}

export interface FdbSpec {
  dev: LinkRef;
  mac: string;
  dst: string;
}

export const ZERO_MAC = '00:00:00:00:00:00';

export async function listFdb(nl: Rtnl, filter: { index?: number } = {}): Promise<FdbEntry[]> {
  const messages = await nl.read('list fdb', (s) => s.getNeighbors({ family: AF_BRIDGE }));
  return messages
    .map(parseFdb)
    .filter((e): e is FdbEntry => e !== undefined)
    .filter((e) => filter.index === undefined || e.index === filter.index);
}

/**
 * `bridge fdb append MAC dev DEV dst DST self permanent`: append, not replace, so several remote
 * VTEPs may share one MAC (the all-zero flood entry lists every peer).
 */
export async function appendFdb(nl: Rtnl, spec: FdbSpec): Promise<void> {
  const { data, attrs } = await encode(nl, spec);
  await nl.write(`append fdb ${spec.mac} dst ${spec.dst} dev ${spec.dev}`, (s) =>
    s.newNeighbor(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.APPEND }),
  );
}

export async function deleteFdb(nl: Rtnl, spec: FdbSpec): Promise<void> {
  const { data, attrs } = await encode(nl, spec);
  await nl.write(`delete fdb ${spec.mac} dst ${spec.dst} dev ${spec.dev}`, (s) =>
    s.delNeighbor(data, attrs),
  );
}

async function encode(
  nl: Rtnl,
  spec: FdbSpec,
): Promise<Pick<rt.NeighborMessage, 'data' | 'attrs'>> {
  const ifindex = await linkIndex(nl, spec.dev);
  return {
    data: { family: AF_BRIDGE, ifindex, state: { permanent: true }, flags: { self: true } },
    attrs: { lladdr: macToBytes(spec.mac), dst: ipToBytes(spec.dst) },
  };
}

function parseFdb(m: rt.NeighborMessage): FdbEntry | undefined {
  const { lladdr, dst, master } = m.attrs;
  if (!lladdr || lladdr.length !== 6) return undefined;
  return {
    index: m.data.ifindex ?? 0,
    mac: bytesToMac(lladdr),
    dst: dst ? bytesToIp(dst) : undefined,
    master: master || undefined,
    self: m.data.flags?.self === true,
    permanent: m.data.state?.permanent === true,
  };
}
