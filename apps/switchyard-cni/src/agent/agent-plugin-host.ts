import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { runPlugin, type PluginIo } from '@switchyard/cni-spec';
import { DEFAULT_DATA_DIR, DiskStore } from '@switchyard/ipam';
import { Rtnl } from '@switchyard/linux';
import type { OwnedDiskStore } from '../ipam/owned-disk-store.js';
import { pluginHandlers } from '../plugin/handlers.js';
import type { OpenedStore, PluginContext } from '../plugin/plugin-context.js';
import { PLUGIN_INFO } from '../plugin/plugin-info.js';
import { STANDALONE_LOCK_TIMEOUT_MS } from '../plugin/standalone-context.js';
import { BatchedLinkDeleter } from './batched-link-deleter.js';
import { KeyedSerialQueue } from './serial-queue.js';
import type { ShimRequest, ShimResponse } from './shim-protocol.js';

/**
 * Answers plugin calls inside the agent. A call is carried out where an exec'd plugin would have
 * run: in the shim's network namespace (found through its pid, verified by the namespace inode
 * it sent) and with CNI_NETNS resolved in the shim's mount namespace (`/proc/<pid>/root`). In a
 * cluster that is the node's own namespace, so the agent's long-lived socket and "bridge is
 * ready" knowledge are used; a call from another namespace (a test's node namespace) gets a
 * socket of its own. The agent's own network uses its owned store; any other network the plain
 * on-disk store with a lock per operation.
 */
export class AgentPluginHost {
  private readonly ownNetnsIno = statSync('/proc/self/ns/net', { bigint: true }).ino;
  private readonly nl = Rtnl.open();
  private readonly readyBridges = new Set<string>();
  private readonly deleter = new BatchedLinkDeleter(this.nl);
  private readonly queue = new KeyedSerialQueue();

  constructor(private readonly owned: OwnedDiskStore | undefined) {}

  /** Runs one call through the plugin skeleton; never throws (failures are CNI errors). */
  async serve(req: ShimRequest): Promise<ShimResponse> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: PluginIo = {
      env: req.env,
      readStdin: () => Promise.resolve(req.stdin),
      stdout: (t) => void stdout.push(t),
      stderr: (t) => void stderr.push(t),
    };
    const status = await this.queue.run(req.env.CNI_CONTAINERID ?? '', () =>
      runPlugin(pluginHandlers(this.contextFor(req)), PLUGIN_INFO, io),
    );
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  }

  /** Calls waiting or running, by container. */
  get busyContainers(): number {
    return this.queue.size;
  }

  close(): void {
    this.nl.close();
  }

  private contextFor(req: ShimRequest): PluginContext {
    const caller = this.callerNamespace(req);
    const openStore = (network: string, dataDir: string | undefined): OpenedStore =>
      this.openStore(network, dataDir);
    const root = caller ? `/proc/${caller.pid}/root` : '';
    const podNetnsPath = (netns: string): string =>
      root && isAbsolute(netns) ? join(root, netns) : netns;
    if (!caller || caller.ino === this.ownNetnsIno) {
      return {
        hostNetns: undefined,
        podNetnsPath,
        openStore,
        hostRtnl: () => ({ nl: this.nl, release: () => undefined }),
        readyBridges: this.readyBridges,
        deleteHostLink: (name) => this.deleter.delete(name),
      };
    }
    const hostNetns = `/proc/${caller.pid}/ns/net`;
    return {
      hostNetns,
      podNetnsPath,
      openStore,
      hostRtnl: () => {
        const nl = Rtnl.open({ netns: hostNetns });
        return { nl, release: () => nl.close() };
      },
      readyBridges: new Set(),
    };
  }

  /** The shim's pid when its namespace inode checks out (we share its pid namespace). */
  private callerNamespace(req: ShimRequest): { pid: number; ino: bigint } | undefined {
    if (req.pid === undefined || req.netnsIno === undefined) return undefined;
    try {
      const ino = statSync(`/proc/${req.pid}/ns/net`, { bigint: true }).ino;
      return ino === req.netnsIno ? { pid: req.pid, ino } : undefined;
    } catch {
      return undefined;
    }
  }

  private openStore(network: string, dataDir: string | undefined): OpenedStore {
    const dir = resolve(dataDir ?? DEFAULT_DATA_DIR, network);
    if (this.owned && resolve(this.owned.dir) === dir) {
      return { store: this.owned, close: () => undefined };
    }
    const store = new DiskStore(network, {
      lockTimeoutMs: STANDALONE_LOCK_TIMEOUT_MS,
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    return { store, close: () => store.close() };
  }
}
