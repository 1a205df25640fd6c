export { startSwitchyardIngress, type SwitchyardIngress } from './app.js';
export {
  computeState,
  type ControllerState,
  type Snapshot,
  type StateConfig,
} from './controller-state.js';
export { EndpointIndex } from './endpoint-index.js';
export { FlagError } from './errors.js';
export { USAGE, parseFlags, type Flags } from './flags.js';
export type * from './gateway-types.js';
export { checkListeners, type SecretState } from './listener-check.js';
export { referencePermitted } from './reference-grants.js';
export { planStatusWrites, type StatusWrite } from './status-plan.js';
