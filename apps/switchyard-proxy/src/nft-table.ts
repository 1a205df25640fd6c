import { run, runUnchecked } from '@switchyard/linux';
import {
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

/**
 * True when the table is there with its dispatch jump in place: the cheap look taken every sync
 * period. A hand-made `nft flush table`/`delete table` (or `flush ruleset`) fails it and the next
 * sync replaces the whole table. Only one base chain is listed, so it costs little at any size.
 */
export async function tableIntact(table: string, prefix: readonly string[] = []): Promise<boolean> {
  const r = await runUnchecked(
    [...prefix, 'nft', 'list', 'chain', 'inet', table, 'nat-prerouting'],
    {
      timeoutMs: 30_000,
    },
  );
  return r.exitCode === 0 && /\bjump services\b/.test(r.stdout);
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
