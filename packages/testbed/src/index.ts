export {
  DistributionManifestError,
  TestbedOptionError,
  TestbedStateError,
  TestbedTimeoutError,
} from './errors.js';
export {
  type CniMode,
  CNI_MODES,
  DEFAULT_NAME,
  DEFAULT_STATE_ROOT,
  type ResolvedOptions,
  type TestbedOptions,
  resolveOptions,
} from './options.js';
export { type NodeRecord, type ProcessRecord, type TestbedState, readState } from './state.js';
export { type TestbedLayout, nodeNetns, podNetns, testbedLayout } from './layout.js';
export { type TeardownReport, teardown } from './teardown.js';
export { type ControlPlaneBinaries, findBinaries } from './binaries.js';
export { type Component, COMPONENTS } from './distribution.js';
export { type StartOptions, openTestbed, startTestbed, stopTestbed } from './testbed.js';
export type { Testbed } from './testbed-handle.js';
export { testbedStatus, type TestbedStatus } from './status.js';
export { ECHO_IMAGE, SWITCHYARD_IMAGE, TOOLBOX_IMAGE } from './node-runtime/images.js';
export { CONFLIST_NAME } from './node-runtime/pod-network.js';
export { type ApiserverRestart, pauseApiserver, restartApiserver } from './apiserver-restart.js';
