import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Addresses host-local (or a store in its format) still holds for any of `containerIds` in
 * `<dataDir>/<network>/`: one file per IP whose content starts with the container ID.
 */
export async function heldAddresses(
  dataDir: string,
  network: string,
  containerIds: readonly string[],
): Promise<string[]> {
  const dir = join(dataDir, network);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const held: string[] = [];
  for (const name of names) {
    if (name === 'lock' || name.startsWith('last_reserved_ip')) continue;
    let owner: string;
    try {
      owner = (await readFile(join(dir, name), 'utf8')).split(/\r?\n/)[0]?.trim() ?? '';
    } catch {
      continue;
    }
    if (containerIds.includes(owner)) held.push(`${name} (${owner})`);
  }
  return held.sort();
}
