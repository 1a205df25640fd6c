#!/usr/bin/env node
// switchyard-agent: see USAGE in options.ts.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@switchyard/kube';
import { Agent } from './agent.js';
import { AgentOptionError, USAGE, parseAgentOptions } from './options.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
let options;
try {
  options = parseAgentOptions(argv, process.env, {
    standaloneNode: process.execPath,
    standaloneScript: fileURLToPath(new URL('../plugin/standalone.js', import.meta.url)),
  });
} catch (e) {
  if (!(e instanceof AgentOptionError)) throw e;
  process.stderr.write(`switchyard-agent: ${e.message}\n\n${USAGE}`);
  process.exit(2);
}
const log = createLogger({ level: options.logLevel, fields: { component: 'switchyard-agent' } });
// Every path is meant to catch its own errors; anything that still escapes is logged. An
// exception leaves unknown state, so the agent exits and is restarted, which disturbs no pod.
process.on('unhandledRejection', (e) => log.error('unhandled rejection', { error: e }));
process.on('uncaughtException', (e) => {
  log.error('uncaught exception; exiting', { error: e });
  process.exit(1);
});
let agent: Agent;
try {
  agent = await Agent.start(options, log);
} catch (e) {
  log.error('agent failed to start', { error: e });
  process.exit(1);
}
log.info('agent started', { health: agent.healthUrl, node: options.nodeName });
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info('stopping; pods and rules stay in place', { signal });
  agent.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      log.error('stop failed', { error: e });
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
