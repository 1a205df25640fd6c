import {
  addAddress,
  addRoute,
  appendFdb,
  createVxlan,
  deleteAddress,
  deleteFdb,
  deleteLink,
  deleteNeighbour,
  deleteRoute,
  getLink,
  linkIndex,
  listAddresses,
  listFdb,
  listLinks,
  listNeighbours,
  listRoutes,
  networkOf,
  formatCidr,
  setLink,
  setNeighbour,
  type Rtnl,
} from '@switchyard/linux';
import type { ActualState, DeviceState, OverlayDataplane } from './dataplane.js';
import type {
  OverlayFdbEntry,
  OverlayNeighbour,
  OverlayRoute,
  Underlay,
  VxlanDeviceSpec,
} from './desired-state.js';
import { OverlayError } from './errors.js';

/**
 * The overlay's kernel operations over rtnetlink. Ownership: routes carrying `protocol`, and the
 * neighbours and FDB entries on the VXLAN device; nothing else is read as ours or touched.
 */
export class LinuxDataplane implements OverlayDataplane {
  private readonly indexes = new Map<string, number>();

  constructor(
    readonly nl: Rtnl,
    readonly protocol: number,
  ) {}

  async read(device: string): Promise<ActualState> {
    const links = await listLinks(this.nl);
    this.indexes.clear();
    const names = new Map<number, string>();
    for (const l of links) {
      this.indexes.set(l.name, l.index);
      names.set(l.index, l.name);
    }
    const routes: OverlayRoute[] = (await listRoutes(this.nl, { protocol: this.protocol })).map(
      (r) => ({
        dst: r.dst,
        gateway: r.gateway ?? '',
        ...(r.dev === undefined ? {} : { dev: names.get(r.dev) ?? String(r.dev) }),
        onlink: r.onlink,
      }),
    );
    const link = links.find((l) => l.name === device);
    if (!link) return { device: undefined, routes, neighbours: [], fdb: [] };
    const addresses = await listAddresses(this.nl, { index: link.index, family: 4 });
    const state: DeviceState = {
      name: link.name,
      vni: link.vxlan?.vni ?? 0,
      port: link.vxlan?.port ?? 0,
      local: link.vxlan?.local,
      dev: link.vxlan?.dev === undefined ? undefined : names.get(link.vxlan.dev),
      mtu: link.mtu,
      mac: link.mac,
      up: link.up,
      learning: link.vxlan?.learning ?? true,
      addresses: addresses.map((a) => a.cidr),
    };
    const neighbours = (await listNeighbours(this.nl, { index: link.index }))
      .filter((n) => n.permanent && n.mac !== undefined)
      .map((n) => ({ dev: device, ip: n.ip, mac: n.mac! }));
    const fdb = (await listFdb(this.nl, { index: link.index }))
      .filter((e) => e.dst !== undefined)
      .map((e) => ({ dev: device, mac: e.mac, dst: e.dst! }));
    return { device: state, routes, neighbours, fdb };
  }

  async createDevice(spec: VxlanDeviceSpec): Promise<void> {
    await createVxlan(this.nl, {
      name: spec.name,
      vni: spec.vni,
      port: spec.port,
      local: spec.local,
      dev: await this.index(spec.dev),
      learning: false,
      mtu: spec.mtu,
      mac: spec.mac,
      up: true,
    });
    this.indexes.delete(spec.name);
  }

  async updateDevice(
    name: string,
    changes: { mtu?: number; up?: boolean; mac?: string },
  ): Promise<void> {
    await setLink(this.nl, await this.index(name), changes);
  }

  async deleteDevice(name: string): Promise<void> {
    await deleteLink(this.nl, await this.index(name));
    this.indexes.delete(name);
  }

  async addAddress(dev: string, cidr: string): Promise<void> {
    await addAddress(this.nl, await this.index(dev), cidr);
  }

  async deleteAddress(dev: string, cidr: string): Promise<void> {
    await deleteAddress(this.nl, await this.index(dev), cidr);
  }

  async setRoute(route: OverlayRoute): Promise<void> {
    const dev = route.dev === undefined ? {} : { dev: await this.index(route.dev) };
    const spec = {
      dst: route.dst,
      gateway: route.gateway,
      onlink: route.onlink,
      protocol: this.protocol,
      ...dev,
    };
    await addRoute(this.nl, spec, { replace: true });
  }

  async deleteRoute(route: OverlayRoute): Promise<void> {
    await deleteRoute(this.nl, { dst: route.dst, protocol: this.protocol });
  }

  async setNeighbour(n: OverlayNeighbour): Promise<void> {
    await setNeighbour(this.nl, { dev: await this.index(n.dev), ip: n.ip, mac: n.mac });
  }

  async deleteNeighbour(n: OverlayNeighbour): Promise<void> {
    await deleteNeighbour(this.nl, { dev: await this.index(n.dev), ip: n.ip });
  }

  async appendFdb(e: OverlayFdbEntry): Promise<void> {
    await appendFdb(this.nl, { dev: await this.index(e.dev), mac: e.mac, dst: e.dst });
  }

  async deleteFdb(e: OverlayFdbEntry): Promise<void> {
    await deleteFdb(this.nl, { dev: await this.index(e.dev), mac: e.mac, dst: e.dst });
  }

  // Names resolve through the last dump; only a device made since costs one GETLINK.
  private async index(name: string): Promise<number> {
    const known = this.indexes.get(name);
    if (known !== undefined) return known;
    const index = await linkIndex(this.nl, name);
    this.indexes.set(name, index);
    return index;
  }
}

/**
 * The underlay as seen from the device holding `nodeIP` (the node's InternalIP): its name, MTU and
 * every prefix on it. Choosing by address, not "the default route's device", is what keeps a
 * multi-NIC host from tunnelling out of the wrong interface.
 */
export async function discoverUnderlay(nl: Rtnl, nodeIP: string): Promise<Underlay> {
  const addresses = await listAddresses(nl);
  const own = addresses.find((a) => a.address === nodeIP);
  if (!own)
    throw new OverlayError(`no local interface holds the node address ${nodeIP}`, 'underlay.ip');
  const link = (await listLinks(nl)).find((l) => l.index === own.index);
  if (!link) throw new OverlayError(`the interface holding ${nodeIP} disappeared`, 'underlay.dev');
  const cidrs = addresses
    .filter((a) => a.index === own.index)
    .map((a) =>
      formatCidr(networkOf({ address: a.address, prefixLength: a.prefixLength, family: a.family })),
    );
  return { ip: nodeIP, cidrs, dev: link.name, mtu: link.mtu };
}

/** The MAC of an existing VXLAN device called `device`, so a restart keeps it (see chooseVtepMac). */
export async function existingVtepMac(nl: Rtnl, device: string): Promise<string | undefined> {
  const link = await getLink(nl, device);
  return link?.kind === 'vxlan' ? link.mac : undefined;
}
