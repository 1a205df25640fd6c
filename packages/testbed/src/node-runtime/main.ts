// The node runtime process: `nsenter --net=<node-ns> node main.js <config.json>`. It supervises
// itself: the first process restarts a second one (the runtime proper) whenever that one dies.
import { fileURLToPath } from 'node:url';
import { readNodeRuntimeConfig } from './config.js';
import { errorMessage, jsonLogger } from './logger.js';
import { NodeRuntime } from './node-runtime.js';
import { supervise } from './supervisor.js';

const CHILD = 'SWITCHYARD_NODE_RUNTIME_CHILD';
const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: main.js <node-config.json>');
  process.exit(2);
}
const config = await readNodeRuntimeConfig(configPath);

if (process.env[CHILD] !== '1') {
  const log = jsonLogger('node-supervisor', { node: config.nodeName });
  const supervisor = supervise({
    argv: [process.execPath, fileURLToPath(import.meta.url), configPath],
    env: { ...process.env, [CHILD]: '1' },
    log,
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    // Within the 3 s teardown gives us before its SIGKILL.
    process.once(sig, () => void supervisor.stop(2500).finally(() => process.exit(0)));
  }
} else {
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
}
