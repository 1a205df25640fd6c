import { applyPlan, type ReconcileOptions, type ReconcileResult } from './apply-plan.js';
import type { ActualState, OverlayDataplane } from './dataplane.js';
import type { DesiredState } from './desired-state.js';
import { planChanges } from './plan.js';

/**
 * Keeps the kernel in line with successive desired states. The first sync reads what the overlay
 * owns (four dumps); after a fully successful sync the reconciler remembers that the kernel now
 * holds the desired state, so the next sync diffs against memory and touches the kernel only for
 * the difference: adding one node to a thousand costs three requests, not four dumps. A failure,
 * or `invalidate()` (call it periodically to repair changes made behind our back), makes the next
 * sync read the kernel again.
 */
export class OverlayReconciler {
  private known: ActualState | undefined;

  constructor(
    private readonly dataplane: OverlayDataplane,
    private readonly device: string,
    private readonly options: ReconcileOptions = {},
  ) {}

  invalidate(): void {
    this.known = undefined;
  }

  async sync(desired: DesiredState): Promise<ReconcileResult> {
    const actual = this.known ?? (await this.dataplane.read(this.device));
    this.known = undefined;
    const result = await applyPlan(
      this.dataplane,
      planChanges(desired, actual),
      desired,
      this.options,
    );
    if (result.errors.length === 0) this.known = asActual(desired);
    return result;
  }
}

/** One-shot: read what the overlay owns, then apply only the difference. */
export async function reconcile(
  dataplane: OverlayDataplane,
  desired: DesiredState,
  device: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  return new OverlayReconciler(dataplane, device, options).sync(desired);
}

function asActual(desired: DesiredState): ActualState {
  const d = desired.device;
  return {
    device: d && { ...d, up: true, learning: false },
    routes: desired.routes,
    neighbours: desired.neighbours,
    fdb: desired.fdb,
  };
}
