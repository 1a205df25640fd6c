import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonError } from './errors.js';

interface NativeNetns {
  setns(fd: number): void;
}

// Both src/ (tests) and dist/ (consumers) sit one level below the package root.
const NATIVE_DIR = fileURLToPath(new URL('../native/', import.meta.url));
const SOURCE = join(NATIVE_DIR, 'netns.c');

let loaded: NativeNetns | undefined;

/**
 * Compiles native/netns.c into native/build/ unless a build of this exact source for this Node ABI
 * exists, and returns its path. Needs a C compiler and Node's headers (the nodejs package ships
 * them in <prefix>/include/node). Safe to run concurrently: the result is renamed into place.
 */
export function buildNativeNetns(): string {
  const source = readFileSync(SOURCE);
  const key = createHash('sha256')
    .update(source)
    .update(process.versions.napi ?? '')
    .update(process.arch)
    .digest('hex')
    .slice(0, 16);
  const target = join(NATIVE_DIR, 'build', `netns-${key}.node`);
  if (existsSync(target)) return target;
  const include = nodeIncludeDir();
  mkdirSync(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-shared', '-fPIC', '-Wall', '-I', include, SOURCE, '-o', temp], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new NativeAddonError(
      `cannot build the setns addon with ${cc} (install gcc and libc6-dev): ${stderr || (e as Error).message}`,
    );
  }
  return target;
}

/** Loads (building first if needed) the addon that exposes setns(2). */
export function nativeNetns(): NativeNetns {
  if (!loaded) loaded = createRequire(import.meta.url)(buildNativeNetns()) as NativeNetns;
  return loaded;
}

function nodeIncludeDir(): string {
  const variables = process.config.variables as unknown as Record<string, unknown>;
  const prefixes = [variables['node_prefix'], dirname(dirname(process.execPath))];
  for (const prefix of prefixes) {
    if (typeof prefix !== 'string') continue;
    const dir = join(prefix, 'include', 'node');
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  throw new NativeAddonError(
    `Node's headers (node_api.h) are not under ${prefixes.join(' or ')}/include/node`,
  );
}
