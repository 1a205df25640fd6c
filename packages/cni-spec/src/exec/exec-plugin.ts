import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError, ErrorCode, InternalError, cniErrorFor } from '../errors.js';
import { isObject } from '../types/fields.js';

/** A plugin binary was not found on the search path (or its name was not a plain file name). */
export class PluginNotFoundError extends CniError {
  override readonly name = 'PluginNotFoundError';
  constructor(
    readonly pluginType: string,
    readonly searched: readonly string[],
  ) {
    super(
      ErrorCode.Internal,
      `failed to find plugin ${JSON.stringify(pluginType)} in path [${searched.join(' ')}]`,
    );
  }
}

/** Finds an executable named `type` in the directories of `path` (CNI_PATH), first match wins. */
export async function findInPath(type: string, path: readonly string[]): Promise<string> {
  if (type === '' || type.includes('/') || type === '.' || type === '..') {
    throw new PluginNotFoundError(type, path);
  }
  for (const dir of path) {
    const candidate = join(dir, type);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  throw new PluginNotFoundError(type, path);
}

export interface ExecPluginOptions {
  /** The complete environment for the plugin (CNI_* included). */
  env: NodeJS.ProcessEnv;
  /** Kill the plugin after this long and fail with code 999. */
  timeoutMs?: number;
  /** A command to run the plugin under, e.g. `['ip', 'netns', 'exec', 'node1']`. */
  wrapper?: readonly string[];
  /** `inherit` passes the plugin's stderr straight through (delegation); default captures it. */
  stderr?: 'inherit' | 'capture';
  /** Called with captured stderr chunks (ignored when stderr is inherited). */
  onStderr?: (chunk: Buffer) => void;
}

/**
 * Runs a plugin binary with `stdin` and returns its stdout. A non-zero exit becomes the typed
 * CniError of the JSON the plugin printed on stdout, or (when stdout holds none) a code 999
 * error carrying its stderr.
 */
export function execPlugin(
  pluginPath: string,
  stdin: Buffer,
  options: ExecPluginOptions,
): Promise<Buffer> {
  const argv = [...(options.wrapper ?? []), pluginPath];
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      stdio: ['pipe', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      options.onStderr?.(b);
    });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new InternalError(`cannot run plugin ${pluginPath}`, e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      if (code === 0) {
        resolve(stdout);
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (timedOut) {
        reject(new InternalError(`plugin ${pluginPath} timed out after ${options.timeoutMs} ms`));
        return;
      }
      reject(
        pluginFailure(pluginPath, stdout, stderr, signal ? `signal ${signal}` : `exit ${code}`),
      );
    });
    child.stdin!.on('error', () => undefined); // The plugin may exit without reading stdin.
    child.stdin!.end(stdin);
  });
}

function pluginFailure(pluginPath: string, stdout: Buffer, stderr: string, how: string): CniError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed) && typeof parsed.code === 'number' && typeof parsed.msg === 'string') {
    const details = typeof parsed.details === 'string' ? parsed.details : undefined;
    return cniErrorFor(parsed.code, parsed.msg, details);
  }
  const said = stdout.toString('utf8').trim() || stderr;
  return new InternalError(`plugin ${pluginPath} failed (${how})`, said || 'no output');
}
