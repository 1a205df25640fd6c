import { spawn } from 'node:child_process';
import { CommandError } from './errors.js';

export interface RunOptions {
  /** Written to the child's stdin, then closed. */
  input?: string;
  /** Kill the child (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a command to completion; rejects with CommandError on a non-zero exit. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runUnchecked(argv, options);
  if (result.exitCode !== 0) throw new CommandError(argv, result.exitCode, result.stderr);
  return result;
}

/** Runs a command to completion and reports its exit code instead of throwing on failure. */
export function runUnchecked(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new TypeError('run: empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CommandError(argv, null, e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString();
      if (signal) {
        reject(new CommandError(argv, code, stderr, signal));
        return;
      }
      resolve({ stdout: Buffer.concat(out).toString(), stderr, exitCode: code ?? -1 });
    });
    // A child that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
