#!/usr/bin/env node
// switchyard-proxy: see USAGE in options.ts.
import { createLogger } from '@switchyard/kube';
import { deleteTable } from './nft-table.js';
import { ProxyOptionError, USAGE, parseProxyOptions } from './options.js';
import { ProxyApp } from './proxy-app.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
let options;
try {
  options = parseProxyOptions(argv, process.env);
} catch (e) {
  if (!(e instanceof ProxyOptionError)) throw e;
  process.stderr.write(`switchyard-proxy: ${e.message}\n\n${USAGE}`);
  process.exit(2);
}
const log = createLogger({ level: options.logLevel, fields: { component: 'switchyard-proxy' } });

if (options.cleanup) {
  try {
    await deleteTable(options.table);
    log.info('table deleted', { table: options.table });
    process.exit(0);
  } catch (e) {
    log.error('cleanup failed', { table: options.table, error: e });
    process.exit(1);
  }
}

// Loaded only past option parsing and cleanup: the client library is large.
const { KubeConfig } = await import('@kubernetes/client-node');
const kc = new KubeConfig();
if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
else kc.loadFromCluster();

let stopping = false;
// Set once started; a signal before that (still waiting for the API server) just exits.
const running: { app?: ProxyApp } = {};
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info('stopping; the rules stay in place', { signal });
  (running.app?.stop() ?? Promise.resolve()).then(
    () => process.exit(0),
    (e: unknown) => {
      log.error('stop failed', { error: e });
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
log.info('starting', {
  node: options.nodeName,
  table: options.table,
  minSyncPeriodMs: options.minSyncPeriodMs,
  syncPeriodMs: options.syncPeriodMs,
});
running.app = await ProxyApp.start(options, log, kc);
log.info('started', { health: running.app.healthUrl });
