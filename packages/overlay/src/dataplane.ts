import type {
  OverlayFdbEntry,
  OverlayNeighbour,
  OverlayRoute,
  VxlanDeviceSpec,
} from './desired-state.js';

/** The VXLAN device as it exists in the kernel. */
export interface DeviceState {
  name: string;
  vni: number;
  port: number;
  local: string | undefined;
  /** Name of the underlay device. */
  dev: string | undefined;
  mtu: number;
  mac: string | undefined;
  up: boolean;
  learning: boolean;
  addresses: string[];
}

/** What the overlay owns in the kernel right now. */
export interface ActualState {
  device: DeviceState | undefined;
  /** Routes carrying our protocol number. */
  routes: OverlayRoute[];
  /** Neighbours on our device. */
  neighbours: OverlayNeighbour[];
  /** FDB entries with a remote destination on our device. */
  fdb: OverlayFdbEntry[];
}

/**
 * The kernel operations the reconciler needs; LinuxDataplane implements them over rtnetlink.
 * Every method changes exactly one thing, so a reconciler's work can be counted.
 */
export interface OverlayDataplane {
  read(device: string): Promise<ActualState>;
  createDevice(spec: VxlanDeviceSpec): Promise<void>;
  updateDevice(name: string, changes: { mtu?: number; up?: boolean; mac?: string }): Promise<void>;
  deleteDevice(name: string): Promise<void>;
  addAddress(dev: string, cidr: string): Promise<void>;
  deleteAddress(dev: string, cidr: string): Promise<void>;
  /** Creates or replaces the route to `route.dst`. */
  setRoute(route: OverlayRoute): Promise<void>;
  deleteRoute(route: OverlayRoute): Promise<void>;
  /** Creates or replaces a permanent neighbour. */
  setNeighbour(neighbour: OverlayNeighbour): Promise<void>;
  deleteNeighbour(neighbour: OverlayNeighbour): Promise<void>;
  appendFdb(entry: OverlayFdbEntry): Promise<void>;
  deleteFdb(entry: OverlayFdbEntry): Promise<void>;
}
