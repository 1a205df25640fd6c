import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** The name a runtime execs for plugin `type: "switchyard"`. */
export const SHIM_NAME = 'switchyard';
/** The directory in the CNI bin dir that holds the installed standalone fallback versions. */
export const FALLBACK_DIR_NAME = 'switchyard-fallback';
/** The standalone plugin inside a fallback tree (the app's own layout). */
const STANDALONE_ENTRY = join('dist', 'plugin', 'standalone.js');

/** An artefact source the agent was told to install is missing or unusable; nothing was changed. */
export class NodeInstallError extends Error {
  override readonly name = 'NodeInstallError';
}

/** Where the installed standalone fallback is, as paths the node (and so the shim) can exec. */
export interface InstalledFallback {
  nodeBinary: string;
  standaloneScript: string;
  /** False when this exact version was already installed. */
  changed: boolean;
}

/**
 * Copies the shim into the CNI bin dir under the plugin type's name (a runtime execs
 * `<bin dir>/<type>`), via temp + rename so a running exec never sees half a file.
 * Returns false when the installed shim already had these bytes.
 */
export function installShim(source: string, cniBinDir: string): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new NodeInstallError(`shim ${source}: ${(e as Error).message}`);
  }
  const target = join(cniBinDir, SHIM_NAME);
  try {
    if (readFileSync(target).equals(bytes)) return false;
  } catch {
    // Not installed yet.
  }
  mkdirSync(cniBinDir, { recursive: true });
  const temp = `${target}.temp`;
  copyFileSync(source, temp);
  renameSync(temp, target);
  return true;
}

/**
 * Installs the plugin's standalone fallback onto the node: the `node` binary running this agent
 * plus `appTree`, a copy of the CNI app holding only what the standalone plugin imports (the
 * image's `$SWITCHYARD_HOME/cni-fallback/app`, made by scripts/image.sh). The shim execs it when
 * the agent's socket does not answer, and a node such as kind's has no Node.js of its own, so the
 * paths inside the agent's container would not exist there.
 *
 * Each version goes into `<cniBinDir>/switchyard-fallback/<content hash>/`, copied under a temp
 * name and renamed into place, so a shim never execs a half-copied tree; older versions are
 * removed once the new one is complete. The conflist must then point at the returned paths.
 */
export function installFallback(
  appTree: string,
  nodeBinary: string,
  cniBinDir: string,
): InstalledFallback {
  if (!existsSync(join(appTree, STANDALONE_ENTRY))) {
    throw new NodeInstallError(`fallback tree ${appTree} has no ${STANDALONE_ENTRY}`);
  }
  if (!existsSync(nodeBinary)) throw new NodeInstallError(`node binary ${nodeBinary} not found`);
  const root = join(cniBinDir, FALLBACK_DIR_NAME);
  const version = fingerprint(appTree, nodeBinary);
  const dir = join(root, version);
  const result = (changed: boolean): InstalledFallback => ({
    nodeBinary: join(dir, 'node'),
    standaloneScript: join(dir, 'app', STANDALONE_ENTRY),
    changed,
  });
  if (existsSync(dir)) return result(false);
  mkdirSync(root, { recursive: true });
  const temp = join(root, `.temp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  try {
    mkdirSync(temp);
    copyFileSync(nodeBinary, join(temp, 'node'));
    cpSync(appTree, join(temp, 'app'), { recursive: true, dereference: true });
    renameSync(temp, dir);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  for (const old of readdirSync(root)) {
    if (old !== version) rmSync(join(root, old), { recursive: true, force: true });
  }
  return result(true);
}

/** A short content hash of the tree's files (names and bytes) and the node binary. */
function fingerprint(appTree: string, nodeBinary: string): string {
  const hash = createHash('sha256');
  const files = (readdirSync(appTree, { recursive: true }) as string[])
    .map((name) => join(appTree, name))
    .filter((path) => statSync(path).isFile())
    .sort();
  for (const path of files) {
    hash.update(`${relative(appTree, path)}\0`);
    hash.update(readFileSync(path));
  }
  hash.update('node\0');
  hash.update(readFileSync(nodeBinary));
  return hash.digest('hex').slice(0, 16);
}
