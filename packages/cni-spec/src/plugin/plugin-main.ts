import type { PluginHandlers, PluginInfo } from './handlers.js';
import { runPlugin } from './run-plugin.js';

/**
 * A plugin's `main`: reads the CNI_* environment and stdin, dispatches to the handler for the
 * verb, prints the result (converted to the config's version) or the error JSON on stdout, and
 * sets `process.exitCode` (never `process.exit`, so stdout is flushed first).
 */
export async function pluginMain(handlers: PluginHandlers, info: PluginInfo = {}): Promise<void> {
  let stdin: Promise<Buffer> | undefined;
  let printed = false;
  // If the runtime went away, writes fail with EPIPE; nobody is left to tell, so do not let that
  // become an uncaught exception (which would try to print again, and again).
  process.stdout.on('error', () => {
    process.exitCode = 1;
  });
  process.stderr.on('error', () => undefined);
  const io = {
    env: process.env,
    readStdin: (): Promise<Buffer> => (stdin ??= readAll(process.stdin)),
    stdout: (text: string): void => {
      printed = true;
      process.stdout.write(text);
    },
    stderr: (text: string): void => void process.stderr.write(text),
  };
  // A handler that leaves a promise to reject later must still produce the spec's error JSON,
  // once; anything after that only keeps the exit status non-zero.
  const late = (e: unknown): void => {
    process.exitCode = 1;
    if (printed) return;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    io.stdout(`${JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: message })}\n`);
  };
  process.on('uncaughtException', late);
  process.on('unhandledRejection', late);
  const code = await runPlugin(handlers, info, io);
  // Keep a failure recorded by `late` (or a broken stdout) while the handler was running.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
}

function readAll(stream: NodeJS.ReadStream): Promise<Buffer> {
  // A terminal on stdin means nobody will send a config; do not wait for one.
  if (stream.isTTY) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
