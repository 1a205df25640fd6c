import type { ActualState, DeviceState } from './dataplane.js';
import type {
  DesiredState,
  OverlayFdbEntry,
  OverlayNeighbour,
  OverlayRoute,
  VxlanDeviceSpec,
} from './desired-state.js';

/** The changes that turn the actual state into the desired one; empty lists mean "in sync". */
export interface Plan {
  /** `recreate`: a VXLAN parameter that cannot change in place (VNI, port, local, underlay) differs. */
  device:
    | { action: 'none' }
    | { action: 'create' | 'recreate'; spec: VxlanDeviceSpec }
    | { action: 'update'; name: string; changes: { mtu?: number; up?: boolean; mac?: string } }
    | { action: 'delete'; name: string };
  addAddresses: string[];
  deleteAddresses: string[];
  setRoutes: OverlayRoute[];
  deleteRoutes: OverlayRoute[];
  setNeighbours: OverlayNeighbour[];
  deleteNeighbours: OverlayNeighbour[];
  addFdb: OverlayFdbEntry[];
  deleteFdb: OverlayFdbEntry[];
}

export function planChanges(desired: DesiredState, actual: ActualState): Plan {
  const plan: Plan = {
    device: { action: 'none' },
    addAddresses: [],
    deleteAddresses: [],
    setRoutes: [],
    deleteRoutes: [],
    setNeighbours: [],
    deleteNeighbours: [],
    addFdb: [],
    deleteFdb: [],
  };
  const spec = desired.device;
  const existing = actual.device;
  // Entries on a device that goes away (or is remade) go with it: nothing to delete one by one.
  let fresh = false;
  if (spec && !existing) {
    plan.device = { action: 'create', spec };
    fresh = true;
  } else if (!spec && existing) {
    plan.device = { action: 'delete', name: existing.name };
  } else if (spec && existing) {
    if (mustRecreate(spec, existing)) {
      plan.device = { action: 'recreate', spec };
      fresh = true;
    } else {
      const changes: { mtu?: number; up?: boolean; mac?: string } = {};
      if (existing.mtu !== spec.mtu) changes.mtu = spec.mtu;
      if (existing.mac !== spec.mac) changes.mac = spec.mac;
      if (!existing.up) changes.up = true;
      if (Object.keys(changes).length > 0)
        plan.device = { action: 'update', name: spec.name, changes };
    }
  }
  const gone = plan.device.action === 'delete' || fresh;
  const onDevice = gone
    ? { neighbours: [], fdb: [], addresses: [] }
    : {
        neighbours: actual.neighbours,
        fdb: actual.fdb,
        addresses: existing?.addresses ?? [],
      };
  const deviceName = existing?.name;
  const survives = (r: OverlayRoute): boolean =>
    !(gone && r.dev !== undefined && r.dev === deviceName);

  if (spec) {
    const have = new Set(onDevice.addresses);
    plan.addAddresses = spec.addresses.filter((a) => !have.has(a));
    const want = new Set(spec.addresses);
    plan.deleteAddresses = onDevice.addresses.filter((a) => !want.has(a));
  }

  const routes = new Map(actual.routes.filter(survives).map((r) => [r.dst, r]));
  const wantRoutes = new Set(desired.routes.map((r) => r.dst));
  plan.setRoutes = desired.routes.filter((r) => {
    const cur = routes.get(r.dst);
    return (
      !cur ||
      cur.gateway !== r.gateway ||
      cur.onlink !== r.onlink ||
      (r.dev !== undefined && cur.dev !== r.dev)
    );
  });
  plan.deleteRoutes = [...routes.values()].filter((r) => !wantRoutes.has(r.dst));

  const neighbours = new Map(onDevice.neighbours.map((n) => [n.ip, n]));
  const wantNeighbours = new Set(desired.neighbours.map((n) => n.ip));
  plan.setNeighbours = desired.neighbours.filter((n) => neighbours.get(n.ip)?.mac !== n.mac);
  plan.deleteNeighbours = [...neighbours.values()].filter((n) => !wantNeighbours.has(n.ip));

  const fdbKey = (e: OverlayFdbEntry): string => `${e.mac}>${e.dst}`;
  const fdb = new Set(onDevice.fdb.map(fdbKey));
  const wantFdb = new Set(desired.fdb.map(fdbKey));
  plan.addFdb = desired.fdb.filter((e) => !fdb.has(fdbKey(e)));
  plan.deleteFdb = onDevice.fdb.filter((e) => !wantFdb.has(fdbKey(e)));
  return plan;
}

/** Number of kernel operations the plan takes (a recreate is a delete plus a create). */
export function planSize(plan: Plan): number {
  const device = { none: 0, create: 1, update: 1, delete: 1, recreate: 2 }[plan.device.action];
  return (
    device +
    plan.addAddresses.length +
    plan.deleteAddresses.length +
    plan.setRoutes.length +
    plan.deleteRoutes.length +
    plan.setNeighbours.length +
    plan.deleteNeighbours.length +
    plan.addFdb.length +
    plan.deleteFdb.length
  );
}

function mustRecreate(spec: VxlanDeviceSpec, d: DeviceState): boolean {
  return (
    d.vni !== spec.vni ||
    d.port !== spec.port ||
    d.local !== spec.local ||
    d.dev !== spec.dev ||
    d.learning
  );
}
