export { runCli } from './cli.js';
export { type Command, type ExecTarget, USAGE, UsageError, parseArgs } from './args.js';
