import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CniError, InvalidNetworkConfigError } from '../errors.js';
import type { NetworkConfigList } from '../types/config.js';
import { parseConfList } from '../types/conf-list.js';

/** The file names runtimes pick up from a CNI configuration directory. */
export const CONF_EXTENSIONS: readonly string[] = ['.conflist', '.conf', '.json'];

/** Config files in `dir`, in lexical order (the order runtimes use to pick the default network). */
export async function confFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InvalidNetworkConfigError(
      `cannot read CNI configuration directory ${dir}`,
      (e as Error).message,
    );
  }
  return names
    .filter((n) => CONF_EXTENSIONS.includes(extname(n)))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Loads a network from a configuration directory the way runtimes do: files in lexical order,
 * `.conflist`, `.conf` and `.json` alike (single configs lifted into a list). Without `name`, the
 * first file that parses wins (as containerd and CRI-O pick their default network); with `name`,
 * the first whose network has that name. Files that fail to parse are skipped, and named in the
 * error when nothing matches.
 */
export async function loadConfList(dir: string, name?: string): Promise<NetworkConfigList> {
  const problems: string[] = [];
  for (const file of await confFiles(dir)) {
    let list: NetworkConfigList;
    try {
      list = parseConfList(await readFile(file));
    } catch (e) {
      problems.push(`${file}: ${e instanceof CniError ? e.message : String(e)}`);
      continue;
    }
    if (name === undefined || list.name === name) return list;
  }
  const what = name === undefined ? 'no network configuration' : `no network named "${name}"`;
  throw new InvalidNetworkConfigError(
    `${what} found in ${dir}`,
    problems.length ? `skipped: ${problems.join('; ')}` : undefined,
  );
}
