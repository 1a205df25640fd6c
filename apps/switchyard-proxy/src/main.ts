#!/usr/bin/env node
// switchyard-proxy: see USAGE in options.ts.
import { loadKubeConfig, runApp } from '@switchyard/kube';
import { deleteTable } from './nft-table.js';
import { USAGE, parseProxyOptions } from './options.js';
import { ProxyApp } from './proxy-app.js';

await runApp({
  name: 'switchyard-proxy',
  usage: USAGE,
  logFields: { component: 'switchyard-proxy' },
  parse: parseProxyOptions,
  start: async (options, log) => {
    if (options.cleanup) {
      await deleteTable(options.table);
      log.info('table deleted', { table: options.table });
      return undefined;
    }
    const kc = await loadKubeConfig(options.kubeconfig, 'in-cluster');
    log.info('starting', {
      node: options.nodeName,
      table: options.table,
      minSyncPeriodMs: options.minSyncPeriodMs,
      syncPeriodMs: options.syncPeriodMs,
    });
    const app = await ProxyApp.start(options, log, kc);
    log.info('started', { health: app.healthUrl });
    return app;
  },
  stop: (app, { signal, logger }) => {
    logger.info('stopping; the rules stay in place', { signal });
    return app.stop();
  },
});
