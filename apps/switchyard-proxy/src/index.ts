// The app's building blocks, for the distribution's other parts, tests and the bench. The
// executable is dist/main.js (switchyard-proxy).
export { BoundedFrequencyRunner, type BoundedRunnerOptions } from './bounded-runner.js';
export { HealthCheckServers } from './health-check-servers.js';
export {
  type TableState,
  deleteTable,
  nftApply,
  tableIntact,
  tableInventory,
  tableState,
} from './nft-table.js';
export {
  type LogLevel,
  ProxyOptionError,
  type ProxyOptions,
  USAGE,
  duration,
  parseProxyOptions,
} from './options.js';
export { ProgrammingLatency, TRIGGER_TIME_ANNOTATION, ages } from './programming-latency.js';
export { Proxier, type ProxierOptions } from './proxier.js';
export { ProxyApp } from './proxy-app.js';
export { ProxyMetrics, exponentialBuckets } from './proxy-metrics.js';
