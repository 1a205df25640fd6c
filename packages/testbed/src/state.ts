import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TestbedStateError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** A detached process the testbed started; PID plus start time survives PID reuse. */
export interface ProcessRecord {
  role: string;
  pid: number;
  startTime: string;
  netns: string;
  log: string;
}

export interface NodeRecord {
  name: string;
  netns: string;
  internalIP: string;
}

/** What a testbed made, written to `<stateDir>/state.json` before each thing is made. */
export interface TestbedState {
  version: 1;
  name: string;
  phase: 'starting' | 'ready';
  createdAt: string;
  options: ResolvedOptions;
  netns: string[];
  processes: ProcessRecord[];
  nodes: NodeRecord[];
  /** The process running `startTestbed`; a `starting` testbed whose starter died is a leftover. */
  starter: { pid: number; startTime: string };
  /** The root-namespace port the apiserver relay listens on (127.0.0.1). */
  relayPort?: number;
  kubectl: string;
}

export async function writeState(file: string, state: TestbedState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, file);
}

/** Reads a state file; undefined when there is none, TestbedStateError when it is unreadable. */
export async function readState(file: string): Promise<TestbedState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TestbedStateError(file, 'state file is not JSON');
  }
  const s = parsed as Partial<TestbedState>;
  if (s.version !== 1 || typeof s.name !== 'string' || !Array.isArray(s.processes)) {
    throw new TestbedStateError(file, 'state file has an unknown format');
  }
  return s as TestbedState;
}
