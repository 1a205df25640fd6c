export {
  DnsConfigError,
  DnsDecodeError,
  DnsEncodeError,
  ResolvConfError,
  ZoneInputError,
} from './errors.js';
export {
  CLASSIC_UDP_SIZE,
  MAX_MESSAGE_SIZE,
  MAX_UDP_SIZE,
  Opcode,
  RCode,
  RRClass,
  RRType,
  rcodeName,
  typeName,
} from './constants.js';
export type {
  Edns,
  EdnsOption,
  Flags,
  Message,
  MxData,
  Question,
  RData,
  ResourceRecord,
  SoaData,
  SrvData,
} from './message.js';
export { emptyFlags } from './message.js';
export { decodeMessage, readHeader, type Header } from './wire-decode.js';
export { encodeMessage } from './wire-encode.js';
export { canonicalName, ipToReverseName, reverseNameToIp } from './names.js';
export {
  SERVICE_NAME_LABEL,
  type EndpointLike,
  type EndpointSliceLike,
  type NamespaceLike,
  type ObjectMetaLike,
  type PodLike,
  type ServiceLike,
  type ServicePortLike,
} from './objects.js';
export { Zone } from './zone.js';
export {
  Resolver,
  SCHEMA_VERSION,
  type PodMode,
  type Resolution,
  type ResolverOptions,
} from './resolver.js';
export { DnsCache, type CacheHit, type CacheOptions, type CachedAnswer } from './cache.js';
export {
  parseResolvConf,
  parseUpstream,
  readResolvConf,
  type ResolvConf,
  type Upstream,
} from './resolv-conf.js';
export { UpstreamError, exchangeTcp, exchangeUdp, upstreamLabel } from './upstream.js';
export { Forwarder, type ForwardResult, type ForwarderOptions } from './forwarder.js';
export {
  DURATION_BUCKETS,
  HistogramSeries,
  LabeledCounter,
  LabeledHistogram,
  createMetrics,
  renderPrometheus,
  type CounterSeries,
  type DnsMetrics,
} from './metrics.js';
export {
  QueryHandler,
  type HandlerOptions,
  type LogLevel,
  type Logger,
  type QueryContext,
} from './handler.js';
export { startUdpServer, type BoundServer, type UdpServerOptions } from './udp-server.js';
export { startTcpServer, type TcpServerOptions } from './tcp-server.js';
export { startDnsServer, type DnsServer, type DnsServerOptions } from './server.js';
export { isSelfUpstream } from './self-upstream.js';
export {
  clusterHandlerOptions,
  startClusterDns,
  type ClusterDns,
  type ClusterParts,
  type ClusterDnsOptions,
  type ClusterDnsSettings,
} from './cluster-dns.js';
