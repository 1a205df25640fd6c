import { rt, writeU16 } from 'netlink';
import { NetlinkError } from './errors.js';
import { AF_BRIDGE } from './ip-address.js';
import { linkIndex, type LinkRef } from './link.js';
import type { Rtnl } from './rtnl.js';

// if_link.h: IFLA_PROTINFO, and inside it (for AF_BRIDGE) IFLA_BRPORT_MODE, whose value 1 is
// BRIDGE_MODE_HAIRPIN.
const IFLA_PROTINFO = 12;
const IFLA_BRPORT_MODE = 4;
const NLA_F_NESTED = 0x8000;

/** Per-port bridge settings as the bridge reports them. */
export interface BridgePort {
  index: number;
  /** Frames may be sent back out of the port they came in on (BR_HAIRPIN_MODE). */
  hairpin: boolean;
}

/**
 * `bridge link set dev DEV hairpin on|off`: lets the bridge forward a frame back out of the port it
 * arrived on, which a pod needs to reach itself through a Service VIP that is DNATed back to it.
 * The link must already be enslaved to a bridge (EOPNOTSUPP otherwise).
 */
export async function setBridgePortHairpin(
  nl: Rtnl,
  dev: LinkRef,
  hairpin: boolean,
): Promise<void> {
  const index = await linkIndex(nl, dev);
  // netlink@0.3.0 masks attribute types to 14 bits, so the nested flag the bridge requires (without
  // it the kernel reads IFLA_PROTINFO as a bare STP port state) is written by hand.
  const mode = attribute(IFLA_BRPORT_MODE, Buffer.from([hairpin ? 1 : 0]));
  const protinfo = attribute(IFLA_PROTINFO | NLA_F_NESTED, mode);
  const header = rt.formatLink({ family: AF_BRIDGE, index });
  await nl.write(`set bridge port ${dev} hairpin ${hairpin ? 'on' : 'off'}`, (s) =>
    s.request(rt.MessageType.SETLINK, [header, protinfo]),
  );
}

/** The port settings of a link enslaved to a bridge; ENODEV when it is not a bridge port. */
export async function getBridgePort(nl: Rtnl, dev: LinkRef): Promise<BridgePort> {
  const index = await linkIndex(nl, dev);
  // The AF_BRIDGE view of a link exists only as a dump (one entry per bridge port).
  const messages = await nl.read('list bridge ports', (s) => s.getLinks({ family: AF_BRIDGE }));
  const port = messages.find((m) => m.data.index === index);
  if (!port) throw new NetlinkError(`find bridge port ${dev}`, 'ENODEV');
  return { index, hairpin: port.attrs.protinfo?.get(IFLA_BRPORT_MODE)?.[0] === 1 };
}

function attribute(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  // Netlink headers are in host byte order.
  writeU16.call(header, 4 + payload.length, 0);
  writeU16.call(header, type, 2);
  // Attributes are padded to 4 bytes; the length field excludes the padding.
  return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}
