export { Backoff, type BackoffOptions, sleep } from './backoff.js';
export { type IndexFunc, ObjectCache, type ReplaceDiff, objectKey } from './cache.js';
export {
  KubeApiError,
  KubeOptionError,
  KubeTransportError,
  MetricError,
  statusOf,
} from './errors.js';
export {
  Informer,
  type InformerEventName,
  type InformerHandlers,
  type InformerOptions,
  type InformerStats,
  type WatchEnd,
} from './informer.js';
export {
  KubeClient,
  type Query,
  type RequestOptions,
  type WatchEvent,
  type WatchHandle,
} from './kube-client.js';
export {
  type LogFields,
  type LogLevel,
  type Logger,
  type LoggerOptions,
  createLogger,
  silentLogger,
} from './logger.js';
export {
  Counter,
  DEFAULT_BUCKETS,
  Gauge,
  Histogram,
  type Labels,
  Registry,
  formatValue,
} from './metrics.js';
export { type ResourceRef, collectionPath, objectPath } from './resource.js';
export {
  type HealthCheck,
  type HealthServer,
  type HealthServerOptions,
  startHealthServer,
} from './health-server.js';
export { type LeaderElectionOptions, LeaderElector, microTime } from './leader-election.js';
export {
  type PatchOptions,
  type PatchType,
  type RetryOptions,
  type StatusPatchOptions,
  patchAnnotations,
  patchObject,
  patchStatus,
  retryOnConflict,
  updateWithRetry,
} from './patch.js';
export {
  FlagError,
  type FlagEnv,
  type FlagReader,
  type FlagSpec,
  type FlagTable,
  type FlagToken,
  type SwitchFlag,
  type ValueFlag,
  appendTo,
  field,
  flagTokens,
  parseFlagTable,
  switchFlag,
  valueFlag,
} from './flags.js';
export {
  commaList,
  duration,
  ipAddress,
  listenPort,
  logLevel,
  oneOf,
  port,
  text,
  wholeNumber,
} from './flag-readers.js';
export { type KubeConfigFallback, loadKubeConfig } from './load-kube-config.js';
export type { KubeCredentials } from './kube-credentials.js';
export { KubeConfigError } from './kube-config-error.js';
export {
  CertTokenCredentials,
  type CertTokenOptions,
  type Material,
} from './cert-token-credentials.js';
export { RefreshingFile } from './refreshing-file.js';
export { type InClusterOptions, SERVICE_ACCOUNT_DIR, inClusterCredentials } from './in-cluster.js';
export { type AppMain, type StopContext, type StopSignal, runApp } from './run-app.js';
