export { CorefileError, FlagError } from './errors.js';
export { parseCorefile, type Directive, type ServerBlock } from './corefile.js';
export {
  KUBEADM_DEFAULTS,
  corefileConfig,
  type CorefileConfig,
  type DnsConfig,
  type UpstreamSource,
} from './dns-config.js';
export { USAGE, parseFlags, type CorefileSource, type Flags } from './flags.js';
export { DnsRuntime, type RuntimeOptions } from './dns-runtime.js';
export { startHttpEndpoint, type HttpEndpoint, type HttpReply } from './http-endpoint.js';
export { startSwitchyardDns, type SwitchyardDns } from './app.js';
