import { readFileSync } from 'node:fs';

/**
 * A process identity that survives PID reuse: the PID plus its start time in clock ticks
 * (field 22 of /proc/PID/stat). Returns undefined when the process does not exist.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** True when the process that had this PID and start time is still running. */
export function isProcessAlive(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}
