// The plugin-side entry point (`@switchyard/cni-spec/plugin`): only what a plugin needs, so a
// plugin process does not load the runtime side. Verb-specific code (config parsing, result
// conversion for the output, process spawning for delegates) is imported lazily inside.
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
  type CniErrorJSON,
} from './errors.js';
export type { Dns, Interface, IpConfig, Result, Route } from './types/result.js';
export type { GcAttachment, PluginConf, RuntimeConfig } from './types/config.js';
export { SUPPORTED_VERSIONS, versionAtLeast } from './version/versions.js';
export type { CmdArgs, PluginHandlers, PluginInfo } from './plugin/handlers.js';
export { pluginMain } from './plugin/plugin-main.js';
export {
  delegateAdd,
  delegateAddWithRollback,
  delegateCheck,
  delegateDel,
  delegateGc,
  delegateStatus,
} from './plugin/delegate.js';
export { parseResult } from './version/convert.js';
export { checkCniArgs, parseCniArgs } from './types/cni-args.js';
