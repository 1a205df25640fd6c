#!/usr/bin/env node
// switchyard-dns: a CoreDNS replacement. Flags in flags.ts (`--help`); the Corefile subset in
// dns-config.ts.
import { createLogger } from '@switchyard/kube';
import { startSwitchyardDns } from './app.js';
import { USAGE, parseFlags, type Flags } from './flags.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: flags.logLevel, fields: { app: 'switchyard-dns' } });
  let app;
  try {
    app = await startSwitchyardDns(flags, logger);
  } catch (e) {
    logger.error('cannot start', { error: String(e) });
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // Keep answering while the endpoints drop this pod (the Corefile's `health { lameduck }`).
    const lameduckMs = app.runtime.config.lameduckMs;
    logger.info('stopping', { signal, lameduckMs });
    void app.close(lameduckMs).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
