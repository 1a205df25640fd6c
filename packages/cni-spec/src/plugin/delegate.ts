import type { Result } from '../types/result.js';

type Verb = 'ADD' | 'CHECK' | 'DEL' | 'STATUS' | 'GC';

/**
 * Runs the delegate plugin `type` found on `path` with the full config on stdin and the same
 * environment except CNI_COMMAND; the delegate's stderr passes straight through.
 */
async function delegate(
  verb: Verb,
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv,
): Promise<Buffer> {
  // Loaded on first use so that plugins importing these helpers start no slower for VERSION.
  const { execPlugin, findInPath } = await import('../exec/exec-plugin.js');
  const pluginPath = await findInPath(type, path);
  const stdin = Buffer.isBuffer(stdinData) ? stdinData : Buffer.from(stdinData);
  return execPlugin(pluginPath, stdin, {
    env: { ...env, CNI_COMMAND: verb },
    stderr: 'inherit',
  });
}

/** ADD through a delegate (typically IPAM); the result comes back in the current shape. */
export async function delegateAdd(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Result> {
  const out = await delegate('ADD', type, stdinData, path, env);
  const { parseResult } = await import('../version/convert.js');
  const { decodeJson } = await import('../types/validate-config.js');
  const conf = decodeJson(stdinData, 'delegate config') as { cniVersion?: unknown };
  const version = typeof conf.cniVersion === 'string' ? conf.cniVersion : '0.1.0';
  return parseResult(decodeJson(out, `result of delegate ${type}`), version);
}

export async function delegateCheck(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  await delegate('CHECK', type, stdinData, path, env);
}

export async function delegateDel(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  await delegate('DEL', type, stdinData, path, env);
}

export async function delegateStatus(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  await delegate('STATUS', type, stdinData, path, env);
}

export async function delegateGc(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  await delegate('GC', type, stdinData, path, env);
}

/**
 * ADD through a delegate, then `configure` with its result; if `configure` throws, the delegate
 * gets a DEL (so its allocation is released) before the error propagates, as the spec requires.
 */
export async function delegateAddWithRollback<T>(
  type: string,
  stdinData: Buffer | string,
  path: string[],
  configure: (delegateResult: Result) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const result = await delegateAdd(type, stdinData, path, env);
  try {
    return await configure(result);
  } catch (e) {
    await delegateDel(type, stdinData, path, env).catch((d: unknown) => {
      process.stderr.write(
        `DEL of delegate ${type} after a failed ADD also failed: ${String(d)}\n`,
      );
    });
    throw e;
  }
}
