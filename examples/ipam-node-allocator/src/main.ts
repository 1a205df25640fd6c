#!/usr/bin/env node
import { IpamError } from '@switchyard/ipam';
import { USAGE, UsageError, nodeAllocatorCli } from './cli.js';

try {
  process.stdout.write(nodeAllocatorCli(process.argv.slice(2)));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`ipam-node-allocator: ${e.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    // IPAM errors carry the CNI code a plugin would answer with (100: the range is full, ...).
    const code = e instanceof IpamError ? ` (CNI code ${e.cniCode})` : '';
    console.error(`ipam-node-allocator: ${e instanceof Error ? e.message : String(e)}${code}`);
    process.exitCode = 1;
  }
}
