import { type NftNetlink, run, runUnchecked } from '@switchyard/linux';
import {
  type ElementApplier,
  type TableInventory,
  parseTableInventory,
  renderDeleteTable,
  tableInventoryCommands,
} from '@switchyard/proxy-rules';

// `prefix` is prepended to each command (e.g. `ip netns exec NS`); empty in the node's namespace.

/** Applies one `nft -f` transaction; rejects (CommandError) when nft refuses it. */
export async function nftApply(text: string, prefix: readonly string[] = []): Promise<void> {
  await run([...prefix, 'nft', '-f', '-'], { input: text, timeoutMs: 120_000 });
}

/** What the periodic look at the kernel found; `unknown` when nft gave no answer in time. */
export type TableState = 'intact' | 'damaged' | 'unknown';

/**
 * `intact` when the table is there with its dispatch jump in place: the look taken every sync
 * period. A hand-made `nft flush table`/`delete table` (or `flush ruleset`) makes it `damaged`
 * and the next sync replaces the whole table. Only nft's own word counts: an nft that was killed
 * by the timeout or failed otherwise (a loaded machine) is `unknown`, never a reason for a full
 * sync of a table that is fine.
 */
export async function tableState(
  table: string,
  prefix: readonly string[] = [],
): Promise<TableState> {
  const argv = [...prefix, 'nft', 'list', 'chain', 'inet', table, 'nat-prerouting'];
  const r = await runUnchecked(argv, { timeoutMs: 30_000 }).catch(() => undefined);
  if (!r) return 'unknown';
  if (r.exitCode === 0) return /\bjump services\b/.test(r.stdout) ? 'intact' : 'damaged';
  return /No such file or directory/.test(r.stderr) ? 'damaged' : 'unknown';
}

/**
 * `tableState` over netlink: a dump of that one chain's rules. `nft list chain` makes nft fetch
 * the whole table first (about a second of CPU at 10k services); this reads a few hundred bytes.
 * A missing table or chain reads as no rules, so `damaged`; a failed read is `unknown`.
 */
export async function tableStateOverNetlink(nl: NftNetlink, table: string): Promise<TableState> {
  try {
    const rules = await nl.listRules({ family: 'inet', name: table }, 'nat-prerouting');
    const jumps = rules.some((r) =>
      r.verdicts.some((v) => v.kind === 'jump' && v.chain === 'services'),
    );
    return jumps ? 'intact' : 'damaged';
  } catch {
    return 'unknown';
  }
}

/** Sends a transaction's element operations to our table in one netlink batch (no `nft`). */
export function netlinkElementApplier(nl: NftNetlink, table: string): ElementApplier {
  return (ops) => nl.applyElements({ family: 'inet', name: table }, ops);
}

/** True when `tableState` says `intact`. */
export async function tableIntact(table: string, prefix: readonly string[] = []): Promise<boolean> {
  return (await tableState(table, prefix)) === 'intact';
}

/**
 * Names of our table's chains, sets (with timeouts) and maps, so a full sync can keep the ClientIP
 * affinity sets: three listings that do not fetch rules or elements, cheap at any size.
 */
export async function tableInventory(
  table: string,
  prefix: readonly string[] = [],
): Promise<TableInventory> {
  const outputs = await Promise.all(
    tableInventoryCommands().map(
      async (argv) => (await run([...prefix, ...argv], { timeoutMs: 30_000 })).stdout,
    ),
  );
  return parseTableInventory({ table }, outputs);
}

/** Deletes our table (uninstall); a table that is already gone is fine. */
export async function deleteTable(table: string, prefix: readonly string[] = []): Promise<void> {
  await nftApply(renderDeleteTable({ table }), prefix);
}
