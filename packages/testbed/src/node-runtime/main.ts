// The node runtime process: `ip netns exec <node-ns> node main.js <config.json>`.
import { readNodeRuntimeConfig } from './config.js';
import { errorMessage, jsonLogger } from './logger.js';
import { NodeRuntime } from './node-runtime.js';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: main.js <node-config.json>');
  process.exit(2);
}
const config = await readNodeRuntimeConfig(configPath);
const log = jsonLogger('node-runtime', { node: config.nodeName });
const runtime = new NodeRuntime(config, log);

// A long-running server must not die of one stray rejection; log it and carry on.
process.on('unhandledRejection', (e) =>
  log('error', 'unhandled rejection', { error: errorMessage(e) }),
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log('info', `${sig}: stopping containers and exiting`);
    void runtime.shutdown().finally(() => process.exit(0));
  });
}
try {
  await runtime.start();
  log('info', 'node runtime ready');
} catch (e) {
  log('error', 'node runtime failed to start', { error: errorMessage(e) });
  process.exit(1);
}
