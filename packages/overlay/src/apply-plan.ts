import { pipelined } from '@switchyard/linux';
import type { OverlayDataplane } from './dataplane.js';
import type { DesiredState } from './desired-state.js';
import type { Plan } from './plan.js';

export interface ReconcileResult {
  plan: Plan;
  /** Kernel changes made. Zero when the kernel already matched. */
  changes: number;
  /** Operations that failed; the rest of the plan was still applied. */
  errors: { operation: string; error: Error }[];
}

export interface ReconcileOptions {
  /** Requests in flight at once (the kernel answers in order; Rtnl caps this at 32 anyway). */
  depth?: number;
}

/**
 * Applies a plan in a safe order. A failed device operation throws (nothing else can work
 * without it); a failed route, neighbour or FDB entry is reported in `errors` and does not stop
 * the others.
 */
export async function applyPlan(
  dataplane: OverlayDataplane,
  plan: Plan,
  desired: DesiredState,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const depth = options.depth ?? 32;
  const result: ReconcileResult = { plan, changes: 0, errors: [] };
  const step =
    <T>(operation: string, fn: (item: T) => Promise<void>) =>
    async (item: T): Promise<void> => {
      try {
        await fn(item);
        result.changes++;
      } catch (e) {
        result.errors.push({
          operation: `${operation} ${JSON.stringify(item)}`,
          error: e as Error,
        });
      }
    };
  const each = <T>(
    items: readonly T[],
    operation: string,
    fn: (item: T) => Promise<void>,
  ): Promise<void> => pipelined(items, depth, step(operation, fn));

  const d = plan.device;
  if (d.action === 'delete' || d.action === 'recreate') {
    await dataplane.deleteDevice(d.action === 'delete' ? d.name : d.spec.name);
    result.changes++;
  }
  if (d.action === 'create' || d.action === 'recreate') {
    await dataplane.createDevice(d.spec);
    result.changes++;
  }
  if (d.action === 'update') {
    await dataplane.updateDevice(d.name, d.changes);
    result.changes++;
  }
  // Removals first, so a prefix that moved between nodes never has two owners at once.
  await each(plan.deleteRoutes, 'delete route', (r) => dataplane.deleteRoute(r));
  await each(plan.deleteNeighbours, 'delete neighbour', (n) => dataplane.deleteNeighbour(n));
  await each(plan.deleteFdb, 'delete fdb', (e) => dataplane.deleteFdb(e));
  const dev = desired.device?.name;
  if (dev !== undefined) {
    await each(plan.deleteAddresses, 'delete address', (a) => dataplane.deleteAddress(dev, a));
    await each(plan.addAddresses, 'add address', (a) => dataplane.addAddress(dev, a));
  }
  // Neighbour and FDB entries before the routes that use them, so no packet takes a route whose
  // next hop cannot be resolved yet.
  await each(plan.setNeighbours, 'set neighbour', (n) => dataplane.setNeighbour(n));
  await each(plan.addFdb, 'append fdb', (e) => dataplane.appendFdb(e));
  await each(plan.setRoutes, 'set route', (r) => dataplane.setRoute(r));
  return result;
}
