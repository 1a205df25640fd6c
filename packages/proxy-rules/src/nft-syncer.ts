import { type Transaction, renderIncremental } from './nft-diff.js';
import { renderFullSync } from './nft-render.js';
import type { Ruleset } from './ruleset.js';

/** Runs an `nft -f` transaction (e.g. `nft -f -` with the text on stdin); rejects on failure. */
export type NftRunner = (text: string) => Promise<void>;

export interface SyncResult extends Transaction {
  /** An incremental transaction failed and the full replacement was applied instead. */
  recovered: boolean;
}

/**
 * Keeps the kernel's table equal to the last ruleset given: incremental transactions while they
 * work, a full replacement first, on demand (`resync`) and after any failure. It remembers what
 * it last applied successfully, so a failed sync leaves it ready to converge on the next one.
 */
export class NftSyncer {
  private applied: Ruleset | undefined;

  constructor(private readonly runner: NftRunner) {}

  /** Applies `next`, incrementally when a previous sync succeeded. */
  async sync(next: Ruleset): Promise<SyncResult> {
    if (!this.applied) return this.resync(next);
    const tx = renderIncremental(this.applied, next);
    if (tx.text === '') {
      this.applied = next;
      return { ...tx, recovered: false };
    }
    try {
      await this.runner(tx.text);
    } catch {
      // The kernel did not hold what we thought (rules deleted by hand, another writer).
      this.applied = undefined;
      return { ...(await this.resync(next)), recovered: true };
    }
    this.applied = next;
    return { ...tx, recovered: false };
  }

  /** Replaces the whole table atomically, whatever the kernel holds now. */
  async resync(next: Ruleset): Promise<SyncResult> {
    const text = renderFullSync(next);
    this.applied = undefined;
    await this.runner(text);
    this.applied = next;
    return { text, full: true, changed: [], recovered: false };
  }
}
