import {
  NetlinkError,
  Rtnl,
  addAddress,
  addRoute,
  createVeth,
  deleteLink,
  getBridgePort,
  getLink,
  listAddresses,
  listRoutes,
  setBridgePortHairpin,
  setLink,
  type Link,
} from '@switchyard/linux';
import { checkFailed, interfaceExists } from './errors.js';

/** One pod address: `10.244.1.5/24` with its gateway on the bridge. */
export interface PodAddress {
  cidr: string;
  gateway: string;
}

export interface PodInterfaceSpec {
  /** Path of the pod's network namespace, openable by this process. */
  podNetns: string;
  ifName: string;
  hostVeth: string;
  bridgeIndex: number;
  mtu: number;
  addresses: readonly PodAddress[];
}

export interface PodInterface {
  host: Link;
  pod: Link;
}

/**
 * Creates the veth with its pod end made directly inside the pod namespace (it never appears on
 * the host under a clashing name), enslaves the host end to the bridge in hairpin mode, and gives the pod end its
 * addresses and a default route per family via the bridge. On failure the pair is deleted again.
 */
export async function createPodInterface(
  host: Rtnl,
  spec: PodInterfaceSpec,
): Promise<PodInterface> {
  const pod = openPod(spec.podNetns);
  try {
    if (await getLink(pod, spec.ifName)) throw interfaceExists(spec.ifName, spec.podNetns);
    const veth = {
      name: spec.hostVeth,
      mtu: spec.mtu,
      peer: { name: spec.ifName, mtu: spec.mtu, netns: spec.podNetns },
    };
    try {
      await createVeth(host, veth);
    } catch (e) {
      // A host end left by an earlier ADD of this attachment that failed half-way: its pod end is
      // not in this namespace (checked above), so it is stale.
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
      await deleteLink(host, spec.hostVeth);
      await createVeth(host, veth);
    }
    try {
      const [hostLink, podLink] = await Promise.all([
        getLink(host, spec.hostVeth),
        getLink(pod, spec.ifName),
      ]);
      if (!hostLink || !podLink) throw new NetlinkError(`find veth ${spec.hostVeth}`, 'ENODEV');
      await Promise.all([
        attachToBridge(host, hostLink.index, spec.bridgeIndex),
        configurePodSide(pod, podLink.index, spec.addresses),
      ]);
      return { host: hostLink, pod: podLink };
    } catch (e) {
      // Deleting the host end removes the pod end with it.
      await deleteLink(host, spec.hostVeth).catch(() => undefined);
      throw e;
    }
  } finally {
    pod.close();
  }
}

/**
 * Enslaves the host end and turns on hairpin mode on its port, as the reference bridge plugin's
 * hairpinMode does: a pod reaching its own Service VIP is DNATed back to itself, and under
 * br_netfilter that frame must leave through the port it came in on.
 */
async function attachToBridge(host: Rtnl, index: number, bridgeIndex: number): Promise<void> {
  await setLink(host, index, { master: bridgeIndex, up: true });
  await setBridgePortHairpin(host, index, true);
}

async function configurePodSide(
  pod: Rtnl,
  index: number,
  addresses: readonly PodAddress[],
): Promise<void> {
  // The link must be up before a route via the gateway can be added.
  await setLink(pod, index, { up: true });
  for (const a of addresses) {
    await addAddress(pod, index, a.cidr, { nodad: a.cidr.includes(':') });
  }
  for (const a of addresses) {
    await addRoute(pod, { dst: defaultDst(a.gateway), gateway: a.gateway, dev: index });
  }
}

/**
 * Removes the attachment's veth. Deleting the host end takes the pod end with it; when the host
 * end is already gone the pod end is looked for too (a pair made by someone renaming ours).
 * Nothing there, or no namespace, is success: DEL is idempotent.
 */
export async function deletePodInterface(
  host: Rtnl,
  hostVeth: string,
  podNetns: string | undefined,
  ifName: string,
  deleteHostLink: (name: string) => Promise<boolean> = (name) => deleteIfPresent(host, name),
): Promise<void> {
  if (await deleteHostLink(hostVeth)) return;
  if (!podNetns) return;
  let pod: Rtnl;
  try {
    pod = Rtnl.open({ netns: podNetns });
  } catch {
    return; // the namespace is gone, and the veth with it
  }
  try {
    const link = await getLink(pod, ifName);
    if (link?.kind === 'veth') await deleteIfPresent(pod, link.index);
  } finally {
    pod.close();
  }
}

/**
 * CHECK: the pod end exists, is up, holds every address and a default route per family via its
 * gateway, and the host end is enslaved to the bridge in hairpin mode.
 */
export async function checkPodInterface(host: Rtnl, spec: PodInterfaceSpec): Promise<void> {
  const hostLink = await getLink(host, spec.hostVeth);
  if (!hostLink) throw checkFailed(`host veth ${spec.hostVeth} is missing`);
  if (hostLink.master !== spec.bridgeIndex) {
    throw checkFailed(`host veth ${spec.hostVeth} is not on the bridge`);
  }
  if (!(await getBridgePort(host, hostLink.index)).hairpin) {
    throw checkFailed(`host veth ${spec.hostVeth} is not in hairpin mode`);
  }
  const pod = openPod(spec.podNetns);
  try {
    const link = await getLink(pod, spec.ifName);
    if (!link) throw checkFailed(`${spec.ifName} is missing in ${spec.podNetns}`);
    if (!link.up) throw checkFailed(`${spec.ifName} is down`);
    const have = new Set((await listAddresses(pod, { index: link.index })).map((a) => a.cidr));
    const routes = await listRoutes(pod);
    for (const a of spec.addresses) {
      if (!have.has(a.cidr)) throw checkFailed(`${spec.ifName} lacks address ${a.cidr}`);
      const dst = defaultDst(a.gateway);
      const ok = routes.some(
        (r) => r.dst === dst && r.gateway === a.gateway && r.dev === link.index,
      );
      if (!ok) throw checkFailed(`no route ${dst} via ${a.gateway} dev ${spec.ifName}`);
    }
  } finally {
    pod.close();
  }
}

function openPod(path: string): Rtnl {
  // A missing or unopenable namespace is the runtime's mistake: NetnsError, reported as code 4 by
  // the handlers.
  return Rtnl.open({ netns: path });
}

function defaultDst(gateway: string): string {
  return gateway.includes(':') ? '::/0' : '0.0.0.0/0';
}

async function deleteIfPresent(nl: Rtnl, dev: string | number): Promise<boolean> {
  try {
    await deleteLink(nl, dev);
    return true;
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return false;
    throw e;
  }
}
