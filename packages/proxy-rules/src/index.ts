export { ModelError, TraceError } from './errors.js';
export * from './model.js';
export {
  NodeNotReadyError,
  type NodeObject,
  ZONE_LABEL,
  nodeInfo,
  sameNodeInfo,
} from './node-object.js';
export { type CompileOptions, type Compiled, DEFAULT_TABLE, compile } from './compile.js';
export type { ResolvedEndpoint, ServicePortInfo, Skipped, L4Proto } from './service-ports.js';
export { type HealthCheck, healthCheckResponse } from './health-checks.js';
export type * from './ruleset.js';
export {
  type TableInventory,
  parseTableInventory,
  renderDeleteTable,
  renderFullSync,
  renderFullSyncKeepingAffinity,
  renderFullSyncSplit,
  tableInventoryCommands,
} from './nft-render.js';
export { type Outcome, type Packet, type Step, type Trace, trace } from './trace.js';
export { formatTrace, summary } from './format-trace.js';
export { type Transaction, renderIncremental } from './nft-diff.js';
export type { Element, ElementOp, ElementValue } from './element-ops.js';
export {
  type ElementApplier,
  type NftLister,
  type NftRunner,
  NftSyncer,
  type SyncResult,
} from './nft-syncer.js';
export type { NodeContext } from './node.js';
export type { Family } from './ip.js';
export {
  type IptablesHook,
  type IptablesRestore,
  iptablesHooks,
  renderIptablesRestore,
} from './iptables-render.js';
export { type Commit, type PortChange, ProxyRules } from './proxy-state.js';
export { conntrackCleanup } from './conntrack-cleanup.js';
export { type ExplainOptions, explainService } from './explain.js';
