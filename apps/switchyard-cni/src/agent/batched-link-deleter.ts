import { randomInt } from 'node:crypto';
import { NetlinkError, getLink, type Rtnl } from '@switchyard/linux';

// Interface groups we tag links with just before deleting them: a range nobody else uses.
const GROUP_BASE = 0x53590000;
const GATHER_MS = 3;

/**
 * Deletes host-side veths in batches. Each veth deletion waits for an RCU grace period inside the
 * kernel (~19 ms here) under the rtnl lock, and an rtnetlink request is processed inside
 * `sendmsg` on the agent's only thread, so a burst of DELs one by one stalls every other call.
 * Deleting by interface group (RTM_DELLINK with IFLA_GROUP) unregisters all links of the group
 * in one go, paying the grace period once: the links asked for while a batch runs are tagged with
 * a fresh group and go together in the next one.
 */
export class BatchedLinkDeleter {
  private pending: {
    name: string;
    done: (deleted: boolean) => void;
    fail: (e: unknown) => void;
  }[] = [];
  private running = false;

  constructor(private readonly nl: Rtnl) {}

  /** Resolves true when the link was deleted, false when there was none by that name. */
  delete(name: string): Promise<boolean> {
    return new Promise((done, fail) => {
      this.pending.push({ name, done, fail });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending.length > 0) {
      // While a deletion runs the thread is blocked in the kernel, and the calls that arrived
      // meanwhile are still on their way here: give them a moment to join this batch.
      await new Promise((r) => setTimeout(r, GATHER_MS));
      const batch = this.pending;
      this.pending = [];
      try {
        await this.deleteBatch(batch);
      } catch (e) {
        for (const item of batch) item.fail(e);
      }
    }
    this.running = false;
  }

  private async deleteBatch(batch: typeof this.pending): Promise<void> {
    const group = GROUP_BASE + randomInt(0x10000);
    const tagged: typeof batch = [];
    for (const item of batch) {
      const link = await getLink(this.nl, item.name);
      if (!link) {
        item.done(false);
        continue;
      }
      try {
        await this.nl.write(`set group of ${item.name}`, (s) =>
          s.setLink({ index: link.index }, { group }),
        );
        tagged.push(item);
      } catch (e) {
        if (e instanceof NetlinkError && e.code === 'ENODEV') item.done(false);
        else item.fail(e);
      }
    }
    if (tagged.length === 0) return;
    await this.nl.write(`delete link group ${group}`, (s) => s.delLink({ index: 0 }, { group }));
    for (const item of tagged) item.done(true);
  }
}
