export { OverlayError } from './errors.js';
export { DEFAULT_CONFIG, overlayConfig, type OverlayConfig, type OverlayMode } from './config.js';
export {
  ANNOTATION_BACKEND,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  overlayAnnotations,
  overlayNodeFromObject,
  underlayAddress,
  type NodeObject,
  type OverlayNode,
} from './node.js';
export { chooseVtepMac } from './vtep-mac.js';
export {
  desiredState,
  vxlanOverhead,
  type DesiredState,
  type DesiredStateInput,
  type OverlayFdbEntry,
  type OverlayNeighbour,
  type OverlayPeer,
  type OverlayRoute,
  type Underlay,
  type VxlanDeviceSpec,
} from './desired-state.js';
export type { ActualState, DeviceState, OverlayDataplane } from './dataplane.js';
export { planChanges, planSize, type Plan } from './plan.js';
export { applyPlan, type ReconcileOptions, type ReconcileResult } from './apply-plan.js';
export { OverlayReconciler, reconcile } from './reconciler.js';
export { LinuxDataplane, discoverUnderlay, existingVtepMac } from './linux-dataplane.js';
