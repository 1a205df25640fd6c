export { CommandError, NetnsError } from './errors.js';
export { run, runUnchecked, type RunOptions, type RunResult } from './run.js';
export { isProcessAlive, processStartTime } from './process-identity.js';
export {
  NETNS_DIR,
  Netns,
  createNetns,
  listNetns,
  liveNetns,
  sweepStaleNetns,
  withNetns,
} from './netns.js';
export { createVethPair, type VethEnd } from './veth.js';
