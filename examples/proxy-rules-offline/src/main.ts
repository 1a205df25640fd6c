#!/usr/bin/env node
import { USAGE, UsageError, offline } from './cli.js';

try {
  process.stdout.write(await offline(process.argv.slice(2)));
} catch (e) {
  const usage = e instanceof UsageError;
  console.error(`proxy-rules-offline: ${e instanceof Error ? e.message : String(e)}`);
  if (usage) console.error(USAGE);
  process.exitCode = usage ? 2 : 1;
}
