import { DiskStore } from '@switchyard/ipam';
import { Rtnl } from '@switchyard/linux';
import type { PluginContext } from './plugin-context.js';

/**
 * How long the standalone plugin waits for the store lock. The agent holds that lock for as long
 * as it runs, so a standalone call only gets here while the agent is starting or stopping;
 * failing with "try again later" (code 11) beats holding the runtime for host-local's forever.
 */
export const STANDALONE_LOCK_TIMEOUT_MS = 10_000;

/** A plugin process exec'd by the runtime (or the shim): everything in its own namespaces. */
export function standaloneContext(): PluginContext {
  return {
    hostNetns: undefined,
    podNetnsPath: (netns) => netns,
    openStore: (network, dataDir) => {
      const store = new DiskStore(network, {
        lockTimeoutMs: STANDALONE_LOCK_TIMEOUT_MS,
        ...(dataDir === undefined ? {} : { dataDir }),
      });
      return { store, close: () => store.close() };
    },
    hostRtnl: () => {
      const nl = Rtnl.open();
      return { nl, release: () => nl.close() };
    },
    readyBridges: new Set(),
  };
}
