import {
  cidrContains,
  formatCidr,
  ipFamily,
  networkOf,
  parseCidr,
  type Cidr,
} from '@switchyard/linux';
import type { OverlayConfig } from './config.js';
import { OverlayError } from './errors.js';
import { underlayAddress, validVtepMac, type OverlayNode } from './node.js';
import { PrefixSet } from './prefix-set.js';

/** The local node's link to the other nodes. */
export interface Underlay {
  /** The address VXLAN packets leave from (the node's InternalIP). */
  ip: string;
  /** Every prefix on the underlay device (`172.18.0.2/16`, ...): "same subnet" means inside one. */
  cidrs: string[];
  /** Name of the underlay device. */
  dev: string;
  mtu: number;
}

export interface VxlanDeviceSpec {
  name: string;
  vni: number;
  port: number;
  local: string;
  dev: string;
  mtu: number;
  mac: string;
  /** The local pod network's `.0` as a /32, so traffic the node itself sends has a pod source. */
  addresses: string[];
}

export interface OverlayRoute {
  dst: string;
  gateway: string;
  /** Absent for direct routes: the kernel picks the device that reaches the gateway. */
  dev?: string;
  onlink: boolean;
}

export interface OverlayNeighbour {
  dev: string;
  ip: string;
  mac: string;
}

export interface OverlayFdbEntry {
  dev: string;
  mac: string;
  dst: string;
}

export interface OverlayPeer {
  node: string;
  via: 'vxlan' | 'direct';
  podCIDRs: string[];
}

export interface DesiredState {
  device: VxlanDeviceSpec | undefined;
  routes: OverlayRoute[];
  neighbours: OverlayNeighbour[];
  fdb: OverlayFdbEntry[];
  peers: OverlayPeer[];
  /** Remote nodes (or some of their pod CIDRs) left out, and why: never a reason to fail. */
  skipped: { node: string; reason: string }[];
}

export interface DesiredStateInput {
  nodes: readonly OverlayNode[];
  localNode: string;
  config: OverlayConfig;
  underlay: Underlay;
  /** This node's VTEP MAC (see chooseVtepMac). */
  vtepMac: string;
}

/** VXLAN adds outer Ethernet-less IP + UDP + VXLAN headers: 50 bytes over IPv4, 70 over IPv6. */
export function vxlanOverhead(underlayFamily: 4 | 6): number {
  return underlayFamily === 4 ? 50 : 70;
}

/**
 * Everything the kernel should hold for the pod network to reach the other nodes. Bad data about
 * a remote node skips that node (listed in `skipped`); bad data about the local node throws.
 */
export function desiredState(input: DesiredStateInput): DesiredState {
  const { config, underlay } = input;
  const local = input.nodes.find((n) => n.name === input.localNode);
  if (!local)
    throw new OverlayError(`local node ${input.localNode} is not in the node list`, 'localNode');
  const underlayFamily = family(underlay.ip, 'underlay.ip');
  const underlayPrefixes = underlay.cidrs.map((c) => parsed(c, 'underlay.cidrs'));
  const localCIDRs = local.podCIDRs.map((c) => networkOf(parsed(c, 'node.podCIDRs')));
  if (localCIDRs.length === 0) {
    throw new OverlayError(`node ${local.name} has no podCIDR assigned yet`, 'node.podCIDRs');
  }
  const state: DesiredState = {
    device: undefined,
    routes: [],
    neighbours: [],
    fdb: [],
    peers: [],
    skipped: [],
  };
  if (config.mode !== 'direct') {
    if (!validVtepMac(input.vtepMac))
      throw new OverlayError(`invalid VTEP MAC ${input.vtepMac}`, 'vtepMac');
    const mtu = underlay.mtu - vxlanOverhead(underlayFamily);
    if (!Number.isInteger(mtu) || mtu < 576) {
      throw new OverlayError(
        `underlay MTU ${underlay.mtu} leaves no room for VXLAN`,
        'underlay.mtu',
      );
    }
    const v4 = localCIDRs.filter((c) => c.family === 4);
    state.device = {
      name: config.device,
      vni: config.vni,
      port: config.port,
      local: underlay.ip,
      dev: underlay.dev,
      mtu,
      mac: input.vtepMac.toLowerCase(),
      addresses: v4.map((c) => `${c.address}/32`),
    };
  }
  const taken = new PrefixSet();
  for (const c of localCIDRs) taken.add(c);
  const remotes = input.nodes
    .filter((n) => n.name !== local.name)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const macs = new Set([input.vtepMac.toLowerCase()]);
  const context = { state, taken, macs, input, underlayFamily, underlayPrefixes };
  for (const node of remotes) addPeer(context, node);
  return state;
}

interface PeerContext {
  state: DesiredState;
  /** Pod CIDRs programmed so far (the local node's included). */
  taken: PrefixSet;
  /** VTEP MACs in use (the local one included). */
  macs: Set<string>;
  input: DesiredStateInput;
  underlayFamily: 4 | 6;
  underlayPrefixes: Cidr[];
}

function addPeer(context: PeerContext, node: OverlayNode): void {
  const { state, taken, macs, input, underlayFamily, underlayPrefixes } = context;
  const skip = (reason: string): void => void state.skipped.push({ node: node.name, reason });
  const onLink = (address: string | undefined): boolean =>
    address !== undefined && underlayPrefixes.some((p) => cidrContains(p, address));
  const tunnelTo = underlayAddress(node, underlayFamily);
  const mode = input.config.mode;
  const via: 'vxlan' | 'direct' = mode === 'auto' ? (onLink(tunnelTo) ? 'direct' : 'vxlan') : mode;
  if (node.podCIDRs.length === 0) return skip('no podCIDR assigned yet');
  if (via === 'vxlan' && !tunnelTo) return skip(`no IPv${underlayFamily} address to tunnel to`);
  if (via === 'vxlan' && !validVtepMac(node.vtepMac))
    return skip('no valid VTEP MAC annotation yet');
  const mac = node.vtepMac?.toLowerCase();
  if (via === 'vxlan' && macs.has(mac!))
    return skip(`VTEP MAC ${mac} is already used by another node`);
  const device = state.device?.name;
  const programmed: string[] = [];
  for (const text of node.podCIDRs) {
    let cidr: Cidr;
    try {
      cidr = networkOf(parseCidr(text));
    } catch {
      skip(`invalid podCIDR ${JSON.stringify(text)}`);
      continue;
    }
    const clash = taken.overlap(cidr);
    if (clash) {
      skip(`podCIDR ${formatCidr(cidr)} overlaps ${formatCidr(clash)}`);
      continue;
    }
    const dst = formatCidr(cidr);
    if (via === 'direct') {
      const gateway = underlayAddress(node, cidr.family);
      if (!onLink(gateway)) {
        skip(`${dst}: no IPv${cidr.family} node address on the local subnet for a direct route`);
        continue;
      }
      state.routes.push({ dst, gateway: gateway!, onlink: false });
    } else {
      if (cidr.family !== 4 || device === undefined) {
        skip(`${dst}: IPv6 pod CIDRs over VXLAN are not supported`);
        continue;
      }
      state.neighbours.push({ dev: device, ip: cidr.address, mac: mac! });
      state.routes.push({ dst, gateway: cidr.address, dev: device, onlink: true });
    }
    taken.add(cidr);
    programmed.push(dst);
  }
  if (programmed.length === 0) return;
  if (via === 'vxlan') {
    state.fdb.push({ dev: device!, mac: mac!, dst: tunnelTo! });
    macs.add(mac!);
  }
  state.peers.push({ node: node.name, via, podCIDRs: programmed });
}

function parsed(text: string, field: string): Cidr {
  try {
    return parseCidr(text);
  } catch (e) {
    throw new OverlayError(`${field}: ${(e as Error).message}`, field);
  }
}

function family(address: string, field: string): 4 | 6 {
  try {
    return ipFamily(address);
  } catch (e) {
    throw new OverlayError(`${field}: ${(e as Error).message}`, field);
  }
}
