import type { ElementOp } from './element-ops.js';
import { type Transaction, renderIncremental } from './nft-diff.js';
import {
  type TableInventory,
  renderFullSync,
  renderFullSyncKeepingAffinity,
  renderFullSyncSplit,
} from './nft-render.js';
import type { Ruleset } from './ruleset.js';

/** Runs an `nft -f` transaction (e.g. `nft -f -` with the text on stdin); rejects on failure. */
export type NftRunner = (text: string) => Promise<void>;

/**
 * Reads what our table holds now (run `tableInventoryCommands()`, give the outputs to
 * `parseTableInventory`); lets a full sync keep ClientIP affinity.
 */
export type NftLister = () => Promise<TableInventory>;

/**
 * Applies set/map element operations as one atomic transaction without `nft`, e.g.
 * `(ops) => nftNetlink.applyElements({ family: 'inet', name: table }, ops)`; rejects on failure.
 */
export type ElementApplier = (ops: ElementOp[]) => Promise<void>;

export interface SyncResult extends Transaction {
  /** An incremental transaction failed and the full replacement was applied instead. */
  recovered: boolean;
  /** The element applier carried this transaction (not the runner). */
  elementsApplied: boolean;
}

/**
 * Keeps the kernel's table equal to the desired ruleset: incremental transactions while they
 * work, a full replacement first, on demand (`resync`) and after any failure. nft applies a
 * transaction all or nothing, so a failure leaves the previous state and the next call converges.
 *
 * Two ways to feed it: `sync(ruleset)` with immutable rulesets from `compile()` (it diffs against
 * the last one applied), or `apply(commit)` with `ProxyRules.commit()` results, whose transaction
 * is already computed from the changed services only.
 */
export class NftSyncer {
  /** The last ruleset `sync` applied, when it is a snapshot we may diff against. */
  private applied: Ruleset | undefined;
  /** The kernel may not hold what the last transaction assumed: replace the table next time. */
  private needsFull = true;

  /**
   * With an `applier`, a transaction made only of element operations (`Transaction.elements`:
   * an endpoint change) goes through it; everything else, and every full sync, through `runner`.
   * A failure of either leads to the same full replacement.
   */
  constructor(
    private readonly runner: NftRunner,
    private readonly lister?: NftLister,
    private readonly applier?: ElementApplier,
  ) {}

  /** Applies `next` (from `compile()`), incrementally when the previous sync succeeded. */
  async sync(next: Ruleset): Promise<SyncResult> {
    if (!this.applied || this.needsFull) return this.resync(next);
    const tx = renderIncremental(this.applied, next);
    const result = await this.run(tx, next);
    this.applied = next;
    return result;
  }

  /**
   * Applies a precomputed transaction (`ProxyRules.commit()`); the ruleset is only used for a
   * full replacement when the transaction fails or an earlier one did.
   */
  async apply(commit: { transaction: Transaction; ruleset: Ruleset }): Promise<SyncResult> {
    const result = this.needsFull
      ? await this.resync(commit.ruleset)
      : await this.run(commit.transaction, commit.ruleset);
    // The ruleset of a ProxyRules is updated in place: never keep it as a diff base.
    this.applied = undefined;
    return result;
  }

  /**
   * Replaces the whole table atomically, whatever the kernel holds now. With a lister, affinity
   * sets that are still wanted keep their entries (`renderFullSyncKeepingAffinity`); if that
   * transaction fails, the table is deleted and rebuilt.
   *
   * With a lister and an element applier, a table that does not exist yet (a cold start) is
   * loaded in two steps: its structure through `nft -f`, then its elements through the applier
   * (`renderFullSyncSplit`); in between, services have no endpoints, as before the table
   * existed. The result's `text` is then the structure only and `elementsApplied` is true. If
   * either step fails, the one-transaction full replacement follows.
   */
  async resync(next: Ruleset): Promise<SyncResult> {
    this.needsFull = true;
    this.applied = undefined;
    let text: string | undefined;
    let split = false;
    if (this.lister) {
      try {
        const inventory = await this.lister();
        if (this.applier && inventory.chains.length === 0) {
          const { structure, elements } = renderFullSyncSplit(next);
          text = structure;
          await this.runner(structure);
          for (const group of groups(elements, COLD_BATCH_ELEMENTS)) await this.applier(group);
          split = true;
        } else {
          text = renderFullSyncKeepingAffinity(next, inventory);
          await this.runner(text);
        }
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      text = renderFullSync(next);
      await this.runner(text);
    }
    this.needsFull = false;
    this.applied = next;
    return { text, full: true, changed: [], recovered: false, elementsApplied: split };
  }

  private async run(tx: Transaction, next: Ruleset): Promise<SyncResult> {
    if (tx.text === '') return { ...tx, recovered: false, elementsApplied: false };
    const viaApplier = this.applier !== undefined && tx.elements !== undefined;
    try {
      if (viaApplier) await this.applier!(tx.elements!);
      else await this.runner(tx.text);
    } catch {
      // The kernel did not hold what we thought (rules deleted by hand, another writer).
      return { ...(await this.resync(next)), recovered: true };
    }
    return { ...tx, recovered: false, elementsApplied: viaApplier };
  }
}

// A cold start's elements go in batches of about this many: one batch is one datagram, bounded
// by the socket's send buffer (20k endpoint elements are about 1 MB).
const COLD_BATCH_ELEMENTS = 20_000;

/** Consecutive operations grouped until each group holds at least `size` elements. */
function groups(ops: ElementOp[], size: number): ElementOp[][] {
  const out: ElementOp[][] = [];
  let group: ElementOp[] = [];
  let n = 0;
  for (const op of ops) {
    group.push(op);
    n += op.elements.length;
    if (n >= size) {
      out.push(group);
      group = [];
      n = 0;
    }
  }
  if (group.length > 0) out.push(group);
  return out;
}
