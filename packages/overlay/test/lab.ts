import {
  Rtnl,
  addAddress,
  addRoute,
  createBridge,
  createNetns,
  createVeth,
  setLink,
  writeSysctl,
  type Netns,
} from '@switchyard/linux';
import {
  LinuxDataplane,
  chooseVtepMac,
  desiredState,
  discoverUnderlay,
  existingVtepMac,
  overlayConfig,
  reconcile,
  type DesiredState,
  type OverlayConfig,
  type OverlayNode,
  type ReconcileResult,
} from '../src/index.js';

/** A "node": a namespace on the lab's underlay bridge, with a cni0 bridge and one pod behind it. */
export interface LabNode {
  name: string;
  ns: Netns;
  nl: Rtnl;
  /** Underlay address (the node's InternalIP). */
  ip: string;
  podCIDR: string;
  pod: Netns;
  podIP: string;
  /** Dual-stack nodes only. */
  ip6?: string;
  podCIDR6?: string;
  podIP6?: string;
  vtepMac?: string;
}

export interface LabNodeSpec {
  name: string;
  /** `10.213.1.2/24`: address and prefix on the underlay. */
  underlay: string;
  /** `10.211.1.0/24`. */
  podCIDR: string;
  /** Default route on the underlay (a router in the lab namespace), for nodes on other subnets. */
  gateway?: string;
  /** Dual stack: `fd00:214::1/64` on the underlay and `fd00:212:1::/64` for pods. */
  underlay6?: string;
  podCIDR6?: string;
}

export interface Lab {
  lab: Netns;
  nodes: LabNode[];
  destroy(): Promise<void>;
}

/**
 * Builds the lab with @switchyard/linux itself: a lab namespace holding the underlay bridge (and,
 * given `routerAddresses`, routing between underlay subnets), and one namespace per node and pod.
 */
export async function buildLab(
  specs: readonly LabNodeSpec[],
  routerAddresses: readonly string[] = [],
): Promise<Lab> {
  const made: Netns[] = [];
  const sockets: Rtnl[] = [];
  const destroy = async (): Promise<void> => {
    for (const s of sockets) s.close();
    await Promise.all(made.map((ns) => ns.delete()));
  };
  try {
    const lab = await createNetns('lab');
    made.push(lab);
    const labNl = Rtnl.open({ netns: lab });
    sockets.push(labNl);
    await createBridge(labNl, { name: 'underlay', up: true });
    for (const a of routerAddresses) await addAddress(labNl, 'underlay', a);
    if (routerAddresses.length > 0) writeSysctl('net.ipv4.ip_forward', 1, { netns: lab });
    const nodes: LabNode[] = [];
    for (const spec of specs) {
      const ns = await createNetns('node');
      made.push(ns);
      const pod = await createNetns('pod');
      made.push(pod);
      const nl = Rtnl.open({ netns: ns });
      sockets.push(nl);
      const port = `u-${spec.name}`;
      await createVeth(labNl, { name: port, peer: { name: 'eth0', netns: ns } });
      await setLink(labNl, port, { master: 'underlay', up: true });
      await setLink(nl, 'eth0', { up: true });
      await addAddress(nl, 'eth0', spec.underlay);
      if (spec.gateway) await addRoute(nl, { dst: 'default', gateway: spec.gateway });
      writeSysctl('net.ipv4.ip_forward', 1, { netns: ns });
      writeSysctl('net.ipv6.conf.all.forwarding', 1, { netns: ns });
      if (spec.underlay6) await addAddress(nl, 'eth0', spec.underlay6, { nodad: true });
      const base = spec.podCIDR.split('/')[0]!.split('.').slice(0, 3).join('.');
      await createBridge(nl, { name: 'cni0', up: true });
      await addAddress(nl, 'cni0', `${base}.1/24`);
      await createVeth(nl, { name: 'vpod', peer: { name: 'eth0', netns: pod } });
      await setLink(nl, 'vpod', { master: 'cni0', up: true });
      const podNl = Rtnl.open({ netns: pod });
      try {
        await setLink(podNl, 'eth0', { up: true });
        await addAddress(podNl, 'eth0', `${base}.2/24`);
        await addRoute(podNl, { dst: 'default', gateway: `${base}.1` });
        if (spec.podCIDR6) {
          const base6 = spec.podCIDR6.split('/')[0]!;
          await addAddress(nl, 'cni0', `${base6}1/64`, { nodad: true });
          await addAddress(podNl, 'eth0', `${base6}2/64`, { nodad: true });
          await addRoute(podNl, { dst: 'default', gateway: `${base6}1` });
        }
      } finally {
        podNl.close();
      }
      nodes.push({
        name: spec.name,
        ns,
        nl,
        ip: spec.underlay.split('/')[0]!,
        podCIDR: spec.podCIDR,
        pod,
        podIP: `${base}.2`,
        ...(spec.underlay6 && spec.podCIDR6
          ? {
              ip6: spec.underlay6.split('/')[0]!,
              podCIDR6: spec.podCIDR6,
              podIP6: `${spec.podCIDR6.split('/')[0]!}2`,
            }
          : {}),
      });
    }
    return { lab, nodes, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** What a node agent computes for `node`: its VTEP MAC (kept if the device exists), then the state. */
export async function desiredFor(
  node: LabNode,
  all: readonly LabNode[],
  config: Partial<OverlayConfig> = {},
): Promise<DesiredState> {
  const c = overlayConfig(config);
  node.vtepMac ??= chooseVtepMac(await existingVtepMac(node.nl, c.device));
  const nodes: OverlayNode[] = all.map((n) => ({
    name: n.name,
    podCIDRs: n.podCIDR6 ? [n.podCIDR, n.podCIDR6] : [n.podCIDR],
    internalIPs: n.ip6 ? [n.ip, n.ip6] : [n.ip],
    ...(n.vtepMac ? { vtepMac: n.vtepMac } : {}),
  }));
  const underlay = await discoverUnderlay(node.nl, node.ip);
  return desiredState({ nodes, localNode: node.name, config: c, underlay, vtepMac: node.vtepMac });
}

/** One-shot reconcile of `node` (reads the kernel, applies the difference). */
export async function programNode(
  node: LabNode,
  all: readonly LabNode[],
  config: Partial<OverlayConfig> = {},
): Promise<ReconcileResult> {
  const c = overlayConfig(config);
  const desired = await desiredFor(node, all, config);
  return reconcile(new LinuxDataplane(node.nl, c.protocol), desired, c.device);
}

/** Picks every node's VTEP MAC first (as each agent annotates its Node), then programs each. */
export async function programAll(
  nodes: readonly LabNode[],
  config: Partial<OverlayConfig> = {},
): Promise<void> {
  for (const n of nodes)
    n.vtepMac ??= chooseVtepMac(await existingVtepMac(n.nl, overlayConfig(config).device));
  for (const n of nodes) {
    const result = await programNode(n, nodes, config);
    if (result.errors.length > 0) throw result.errors[0]!.error;
  }
}

export async function pings(from: Netns, to: string): Promise<boolean> {
  const r = await from.execUnchecked(['ping', '-c', '1', '-W', '2', to]);
  return r.exitCode === 0;
}
