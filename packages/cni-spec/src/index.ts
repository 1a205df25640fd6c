// Errors
export {
  CniError,
  DecodingFailureError,
  ErrorCode,
  IncompatibleVersionError,
  InternalError,
  InvalidEnvironmentError,
  InvalidNetnsError,
  InvalidNetworkConfigError,
  IoFailureError,
  LimitedConnectivityError,
  PluginNotAvailableError,
  TryAgainLaterError,
  UnknownContainerError,
  UnsupportedFieldError,
  cniErrorFor,
  toCniError,
  type CniErrorJSON,
} from './errors.js';

// Types and validation
export type {
  Dns,
  Interface,
  Interface040,
  IpConfig,
  IpConfig020,
  IpConfig040,
  Result,
  Result020,
  Result040,
  Route,
  VersionInfo,
} from './types/result.js';
export {
  WELL_KNOWN_CAPABILITIES,
  type Bandwidth,
  type ConfArgs,
  type GcAttachment,
  type IpRange,
  type IpamConf,
  type NetworkConfigList,
  type PluginConf,
  type PortMapping,
  type RuntimeConfig,
  type RuntimeDns,
} from './types/config.js';
export { parseCniArgs, formatCniArgs, checkCniArgs } from './types/cni-args.js';
export {
  MAX_IFNAME_LENGTH,
  validateContainerId,
  validateIfName,
  validateNetworkName,
} from './types/names.js';
export { parsePluginConf } from './types/validate-config.js';
export { parseConfList } from './types/conf-list.js';

// Versions
export {
  CURRENT_VERSION,
  SUPPORTED_VERSIONS,
  compareVersions,
  isSupportedVersion,
  negotiateVersion,
  versionAtLeast,
} from './version/versions.js';
export {
  convertResult,
  formatResult,
  parseResult,
  resultFormat,
  type ResultFormat,
} from './version/convert.js';

// Plugin side
export type { CmdArgs, PluginHandlers, PluginInfo, PluginIo } from './plugin/handlers.js';
export { pluginMain } from './plugin/plugin-main.js';
export { runPlugin } from './plugin/run-plugin.js';
export {
  delegateAdd,
  delegateAddWithRollback,
  delegateCheck,
  delegateDel,
  delegateGc,
  delegateStatus,
} from './plugin/delegate.js';
export {
  PluginNotFoundError,
  execPlugin,
  findInPath,
  type ExecPluginOptions,
} from './exec/exec-plugin.js';

// Runtime side
export {
  CniRuntime,
  GcFailedError,
  type CniRuntimeOptions,
  type RuntimeConf,
} from './runtime/cni-runtime.js';
export { CONF_EXTENSIONS, confFiles, loadConfList } from './runtime/load-conf-list.js';
export {
  CACHE_KIND,
  DEFAULT_CACHE_DIR,
  ResultCache,
  type CacheEntry,
  type CachedAttachment,
} from './runtime/result-cache.js';
export { buildPluginConfig } from './runtime/build-config.js';
