#!/usr/bin/env node
// switchyard-ingress: an Ingress and Gateway API controller. Flags in flags.ts (`--help`).
import { runApp } from '@switchyard/kube';
import { startSwitchyardIngress } from './app.js';
import { USAGE, parseFlags } from './flags.js';

await runApp({
  name: 'switchyard-ingress',
  usage: USAGE,
  parse: parseFlags,
  start: startSwitchyardIngress,
  stop: (app, { signal, options, logger }) => {
    logger.info('stopping', { signal, delayMs: options.shutdownDelayMs });
    return app.close(options.shutdownDelayMs);
  },
});
