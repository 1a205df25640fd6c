import {
  NetlinkError,
  addAddress,
  createBridge,
  getLink,
  setLink,
  writeSysctl,
  type Link,
  type Rtnl,
} from '@switchyard/linux';
import { bridgeConflict } from './errors.js';

export interface BridgeSpec {
  name: string;
  mtu: number;
  /** Gateway addresses with the pod prefix length (`10.244.1.1/24`); one per range set. */
  gateways: readonly string[];
}

/**
 * Makes sure the node bridge exists, is up and holds every gateway address, and that the host
 * namespace forwards the families in use (the bridge is the pods' default gateway). Creating it
 * races with concurrent ADDs, so "already exists" from the kernel counts as success.
 */
export async function ensureBridge(
  nl: Rtnl,
  netns: string | undefined,
  spec: BridgeSpec,
): Promise<Link> {
  let link = await getLink(nl, spec.name);
  if (!link) {
    try {
      await createBridge(nl, { name: spec.name, mtu: spec.mtu, up: true });
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
    }
    link = await getLink(nl, spec.name);
    if (!link) throw new NetlinkError(`find bridge ${spec.name}`, 'ENODEV');
  }
  if (link.kind !== 'bridge') throw bridgeConflict(spec.name, link.kind);
  if (!link.up) await setLink(nl, link.index, { up: true });
  // Adding and accepting "exists" instead of listing first: an address dump on a socket that
  // other calls are writing on can interleave with their acknowledgements, which netlink@0.3.0
  // rejects ("Multipart message not terminated properly").
  for (const cidr of spec.gateways) {
    try {
      await addAddress(nl, link.index, cidr, { nodad: cidr.includes(':') });
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
    }
  }
  const options = netns === undefined ? {} : { netns };
  if (spec.gateways.some((g) => !g.includes(':'))) writeSysctl('net.ipv4.ip_forward', 1, options);
  if (spec.gateways.some((g) => g.includes(':'))) {
    writeSysctl('net.ipv6.conf.all.forwarding', 1, options);
  }
  return link;
}

/** Identifies a bridge set-up (namespace + name + addresses) in PluginContext.readyBridges. */
export function bridgeKey(netns: string | undefined, spec: BridgeSpec): string {
  return `${netns ?? 'self'}|${spec.name}|${spec.mtu}|${spec.gateways.join(',')}`;
}
