import { type Command, USAGE, UsageError, parseArgs } from './args.js';
import { explainServiceCommand } from './explain-command.js';
import { demo, down, exec, kubectl, logs, status, up } from './testbed-commands.js';

/** Runs one `switchyard` command line; resolves with the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`switchyard: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (cmd.kind !== 'help' && process.getuid?.() !== 0) {
    console.error('switchyard testbed: needs root (it creates network namespaces)');
    return 1;
  }
  try {
    switch (cmd.kind) {
      case 'help':
        console.log(USAGE);
        return 0;
      case 'demo':
        return await demo();
      case 'up':
        return await up(cmd);
      case 'down':
        return await down(cmd);
      case 'status':
        return await status(cmd);
      case 'kubectl':
        return await kubectl(cmd.args);
      case 'exec':
        return await exec(cmd.target, cmd.command);
      case 'logs':
        return await logs(cmd);
      case 'explain-service':
        return await explainServiceCommand(cmd);
    }
  } catch (e) {
    console.error(`switchyard: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
