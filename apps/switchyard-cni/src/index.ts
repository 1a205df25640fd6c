// The app's building blocks, for the distribution's other parts and for tests. The executables are
// dist/agent/main.js (switchyard-agent), dist/plugin/standalone.js and the C shim.
export { Agent } from './agent/agent.js';
export { AgentOptionError, parseAgentOptions, type AgentOptions } from './agent/options.js';
export {
  FALLBACK_DIR_NAME,
  NodeInstallError,
  SHIM_NAME,
  installFallback,
  installShim,
  type InstalledFallback,
} from './agent/node-install.js';
export { buildConflist, writeConflist, type ConflistInput } from './agent/conflist.js';
export { AGENT_TABLE, installMasquerade, masqueradeTransaction } from './agent/masquerade.js';
export { findLeaks, type LeakScan } from './agent/leak-finder.js';
export { OwnedDiskStore } from './ipam/owned-disk-store.js';
export { HOSTPORT_TABLE, parsePortMappings, type HostPort } from './plugin/host-ports.js';
export { hostVethName } from './plugin/host-veth-name.js';
export { pluginHandlers } from './plugin/handlers.js';
export { PluginCode } from './plugin/errors.js';
export type { PluginContext, OpenedStore } from './plugin/plugin-context.js';
