#!/usr/bin/env node
// switchyard-ingress: an Ingress and Gateway API controller. Flags in flags.ts (`--help`).
import { createLogger } from '@switchyard/kube';
import { startSwitchyardIngress, type SwitchyardIngress } from './app.js';
import { USAGE, parseFlags, type Flags } from './flags.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let flags: Flags;
  try {
    flags = parseFlags(argv, process.env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({ level: flags.logLevel, fields: { app: 'switchyard-ingress' } });
  let app: SwitchyardIngress;
  try {
    app = await startSwitchyardIngress(flags, logger);
  } catch (e) {
    logger.error('cannot start', { error: String(e) });
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal, delayMs: flags.shutdownDelayMs });
    void app.close(flags.shutdownDelayMs).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
