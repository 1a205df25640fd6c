#!/usr/bin/env node
// switchyard-agent: see USAGE in options.ts.
import { fileURLToPath } from 'node:url';
import { runApp } from '@switchyard/kube';
import { Agent } from './agent.js';
import { USAGE, parseAgentOptions } from './options.js';

await runApp({
  name: 'switchyard-agent',
  usage: USAGE,
  logFields: { component: 'switchyard-agent' },
  parse: (argv, env) =>
    parseAgentOptions(argv, env, {
      standaloneNode: process.execPath,
      standaloneScript: fileURLToPath(new URL('../plugin/standalone.js', import.meta.url)),
    }),
  start: async (options, log) => {
    // Every path is meant to catch its own errors; anything that still escapes is logged. An
    // exception leaves unknown state, so the agent exits and is restarted, which disturbs no pod.
    process.on('unhandledRejection', (e) => log.error('unhandled rejection', { error: e }));
    process.on('uncaughtException', (e) => {
      log.error('uncaught exception; exiting', { error: e });
      process.exit(1);
    });
    const agent = await Agent.start(options, log);
    log.info('agent started', { health: agent.healthUrl, node: options.nodeName });
    return agent;
  },
  stop: (agent, { signal, logger }) => {
    logger.info('stopping; pods and rules stay in place', { signal });
    return agent.stop();
  },
});
