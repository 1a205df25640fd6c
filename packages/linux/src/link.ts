import { closeSync, openSync } from 'node:fs';
import { FlagsNew, ifla, rt } from 'netlink';
import { NetlinkError } from './errors.js';
import { bytesToIp, bytesToMac, ipFamily, ipToBytes, macToBytes } from './ip-address.js';
import { attrsToBuffer } from './netlink-attrs.js';
import { netnsPath, type NetnsTarget } from './netns-enter.js';
import type { Rtnl } from './rtnl.js';

/** A link (network interface) as the kernel reports it. */
export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: veth, bridge, vxlan, ... (undefined for lo and physical devices). */
  kind: string | undefined;
  up: boolean;
  mtu: number;
  mac: string | undefined;
  /** Index of the bridge this link is enslaved to. */
  master: number | undefined;
  /** For a veth whose peer is in another namespace: that namespace's id as seen from here. */
  linkNetnsid: number | undefined;
  vxlan: VxlanInfo | undefined;
}

export interface VxlanInfo {
  vni: number;
  port: number;
  local: string | undefined;
  /** Index of the underlay device. */
  dev: number | undefined;
  learning: boolean;
}

/** A device given by index or by name (resolved with one GETLINK). */
export type LinkRef = number | string;

interface CommonLinkOptions {
  name: string;
  mtu?: number;
  mac?: string;
}

interface CreateOptions extends CommonLinkOptions {
  /** Bring the link up in the same request that creates it. */
  up?: boolean;
}

export interface VethOptions extends CreateOptions {
  // No `up` for the peer: the kernel configures it before its other end exists (ENOTCONN).
  peer: CommonLinkOptions & {
    /** Create the peer directly in this namespace (IFLA_NET_NS_FD): it never appears here. */
    netns?: NetnsTarget;
  };
}

export interface VxlanOptions extends CreateOptions {
  vni: number;
  /** UDP destination port; flannel and Switchyard use 8472, IANA assigns 4789. */
  port: number;
  /** Underlay source address (IPv4 or IPv6). */
  local?: string;
  /** Underlay device. */
  dev?: LinkRef;
  /** Learn remote MACs from received packets; an overlay that programs the FDB turns this off. */
  learning?: boolean;
}

export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** Enslave to this bridge; `null` releases it. */
  master?: LinkRef | null;
}

const CREATE = { flags: FlagsNew.CREATE | FlagsNew.EXCL };

export async function listLinks(
  nl: Rtnl,
  options: { targetNetnsid?: number } = {},
): Promise<Link[]> {
  const attrs = options.targetNetnsid === undefined ? {} : { targetNetnsid: options.targetNetnsid };
  const messages = await nl.read('list links', (s) => s.getLinks({}, attrs));
  return messages.map(parseLink);
}

/** The link with this name, or undefined. */
export async function getLink(nl: Rtnl, name: string): Promise<Link | undefined> {
  try {
    const [message] = await nl.read(`get link ${name}`, (s) => s.getLink({}, { ifname: name }));
    return message ? parseLink(message) : undefined;
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return undefined;
    throw e;
  }
}

export async function linkIndex(nl: Rtnl, dev: LinkRef): Promise<number> {
  if (typeof dev === 'number') return dev;
  const link = await getLink(nl, dev);
  if (!link) throw new NetlinkError(`find link ${dev}`, 'ENODEV');
  return link.index;
}

/** Creates a veth pair; the peer may be created directly inside another namespace. */
export async function createVeth(nl: Rtnl, options: VethOptions): Promise<void> {
  const { peer } = options;
  const fd = peer.netns === undefined ? undefined : openSync(netnsPath(peer.netns), 'r');
  try {
    const peerAttrs = attrsToBuffer(
      ifla.formatLinkAttrs({ ...commonAttrs(peer), ...(fd === undefined ? {} : { netNsFd: fd }) }),
    );
    const info = {
      kind: 'veth',
      data: attrsToBuffer(
        ifla.formatVethInfo({ peer: Buffer.concat([rt.formatLink({}), peerAttrs]) }),
      ),
    };
    const attrs = { ...commonAttrs(options), linkinfo: attrsToBuffer(ifla.formatInfo(info)) };
    await nl.write(`create veth ${options.name} peer ${peer.name}`, (s) =>
      s.newLink(upFlags(options), attrs, CREATE),
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function createBridge(nl: Rtnl, options: CreateOptions): Promise<void> {
  const attrs = {
    ...commonAttrs(options),
    linkinfo: attrsToBuffer(ifla.formatInfo({ kind: 'bridge' })),
  };
  await nl.write(`create bridge ${options.name}`, (s) =>
    s.newLink(upFlags(options), attrs, CREATE),
  );
}

export async function createVxlan(nl: Rtnl, options: VxlanOptions): Promise<void> {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(options.port);
  const local =
    options.local === undefined
      ? {}
      : ipFamily(options.local) === 4
        ? { local: ipToBytes(options.local) }
        : { local6: ipToBytes(options.local) };
  const data: ifla.Vxlan = {
    id: options.vni,
    port,
    learning: options.learning ? 1 : 0,
    ...local,
    ...(options.dev === undefined ? {} : { link: await linkIndex(nl, options.dev) }),
  };
  const linkinfo = attrsToBuffer(
    ifla.formatInfo({ kind: 'vxlan', data: attrsToBuffer(ifla.formatVxlan(data)) }),
  );
  const attrs = { ...commonAttrs(options), linkinfo };
  await nl.write(`create vxlan ${options.name} id ${options.vni}`, (s) =>
    s.newLink(upFlags(options), attrs, CREATE),
  );
}

export async function setLink(nl: Rtnl, dev: LinkRef, changes: LinkChanges): Promise<void> {
  const index = await linkIndex(nl, dev);
  const attrs: ifla.LinkAttrs = {};
  if (changes.mtu !== undefined) attrs.mtu = changes.mtu;
  if (changes.mac !== undefined) attrs.address = macToBytes(changes.mac);
  if (changes.master !== undefined) {
    attrs.master = changes.master === null ? 0 : await linkIndex(nl, changes.master);
  }
  const data: rt.Link = { index };
  if (changes.up !== undefined) {
    data.change = { up: true };
    data.flags = changes.up ? { up: true } : {};
  }
  await nl.write(`set link ${dev}`, (s) => s.setLink(data, attrs));
}

export async function deleteLink(nl: Rtnl, dev: LinkRef): Promise<void> {
  const index = await linkIndex(nl, dev);
  await nl.write(`delete link ${dev}`, (s) => s.delLink({ index }));
}

function upFlags(options: CreateOptions): rt.Link {
  return options.up ? { flags: { up: true }, change: { up: true } } : {};
}

function commonAttrs(options: Partial<CommonLinkOptions>): ifla.LinkAttrs {
  return {
    ifname: options.name,
    mtu: options.mtu,
    address: options.mac === undefined ? undefined : macToBytes(options.mac),
  };
}

function parseLink(message: rt.LinkMessage): Link {
  const { data, attrs } = message;
  const info = attrs.linkinfo ? ifla.parseInfo(attrs.linkinfo) : undefined;
  return {
    index: data.index ?? 0,
    name: attrs.ifname ?? '',
    kind: info?.kind,
    up: data.flags?.up === true,
    mtu: attrs.mtu ?? 0,
    mac: attrs.address?.length === 6 ? bytesToMac(attrs.address) : undefined,
    master: attrs.master || undefined,
    linkNetnsid: attrs.linkNetnsid,
    vxlan: info?.kind === 'vxlan' && info.data ? parseVxlan(ifla.parseVxlan(info.data)) : undefined,
  };
}

function parseVxlan(v: ifla.Vxlan): VxlanInfo {
  const local = v.local ?? v.local6;
  return {
    vni: v.id ?? 0,
    port: v.port ? v.port.readUInt16BE(0) : 0,
    local: local ? bytesToIp(local) : undefined,
    dev: v.link || undefined,
    learning: v.learning === 1,
  };
}
