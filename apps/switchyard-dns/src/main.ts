#!/usr/bin/env node
// switchyard-dns: a CoreDNS replacement. Flags in flags.ts (`--help`); the Corefile subset in
// dns-config.ts.
import { runApp } from '@switchyard/kube';
import { startSwitchyardDns } from './app.js';
import { USAGE, parseFlags } from './flags.js';

await runApp({
  name: 'switchyard-dns',
  usage: USAGE,
  parse: (argv) => parseFlags(argv),
  start: startSwitchyardDns,
  stop: (app, { signal, logger }) => {
    // Keep answering while the endpoints drop this pod (the Corefile's `health { lameduck }`).
    const lameduckMs = app.runtime.config.lameduckMs;
    logger.info('stopping', { signal, lameduckMs });
    return app.close(lameduckMs);
  },
});
