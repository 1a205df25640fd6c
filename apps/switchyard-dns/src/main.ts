#!/usr/bin/env node
// switchyard-dns: a CoreDNS replacement. Flags in flags.ts (`--help`); the Corefile subset in
// dns-config.ts.
import { createLogger } from '@switchyard/kube';
import { startSwitchyardDns } from './app.js';
import { USAGE, parseFlags, type Flags } from './flags.js';

/** How long a stopping server keeps answering while the endpoints drop it (CoreDNS: lameduck 5s). */
const LAMEDUCK_MS = 5000;

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
    logger.info('stopping', { signal, lameduckMs: LAMEDUCK_MS });
    void app.close(LAMEDUCK_MS).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
