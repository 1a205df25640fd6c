import type { AllocationStore } from '@switchyard/ipam';
import type { Rtnl } from '@switchyard/linux';

/** An allocation store for the length of one verb. */
export interface OpenedStore {
  store: AllocationStore;
  /** Ends this verb's use (a per-call store closes; the agent's long-lived store stays open). */
  close(): void;
}

/**
 * Where one plugin call runs. The standalone plugin runs in the caller's namespaces and opens
 * everything per call; the agent answers for a shim process, so the host side is the shim's
 * network namespace and the agent keeps sockets, stores and "already done" facts between calls.
 */
export interface PluginContext {
  /** The namespace host-side devices and rules belong in; undefined = this process's own. */
  readonly hostNetns: string | undefined;
  /** CNI_NETNS as the caller named it -> a path this process can open. */
  podNetnsPath(netns: string): string;
  openStore(network: string, dataDir: string | undefined): OpenedStore;
  /** An rtnetlink socket in the host namespace for this verb. */
  hostRtnl(): { nl: Rtnl; release(): void };
  /**
   * Bridges (keyed by `bridgeKey`) already checked to exist with their addresses; the agent keeps
   * this across calls, the standalone plugin starts empty every time.
   */
  readonly readyBridges: Set<string>;
  /**
   * Deletes a host-side link by name (false when absent); the agent batches concurrent deletions.
   * Undefined: delete directly.
   */
  readonly deleteHostLink?: (name: string) => Promise<boolean>;
}
