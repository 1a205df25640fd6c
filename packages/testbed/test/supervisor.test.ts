import { existsSync } from 'node:fs';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/node-runtime/logger.js';
import { supervise } from '../src/node-runtime/supervisor.js';

let dir: string;
const lines: string[] = [];
const log: Logger = (level, msg) => lines.push(`${level} ${msg}`);

beforeAll(async () => {
  dir = await mkdtemp(`${tmpdir()}/sy-sup-`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('supervise', () => {
  it('restarts a child that keeps dying, with a growing backoff, until stopped', async () => {
    const file = `${dir}/runs`;
    const s = supervise({
      argv: [
        process.execPath,
        '-e',
        `require('fs').appendFileSync(${JSON.stringify(file)}, 'run\\n'); process.exit(1)`,
      ],
      env: process.env,
      log,
      minBackoffMs: 20,
      maxBackoffMs: 80,
    });
    await until(() => s.starts >= 4);
    await s.stop();
    const starts = s.starts;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.starts).toBe(starts); // no restart after stop
    expect(
      (await readFile(file, 'utf8')).split('\n').filter(Boolean).length,
    ).toBeGreaterThanOrEqual(3);
    expect(lines.some((l) => l.startsWith('error child exited; restarting'))).toBe(true);
  });

  it('stop ends a healthy child with SIGTERM, or SIGKILL after the grace period', async () => {
    const polite = supervise({ argv: ['sleep', '30'], env: process.env, log });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await polite.stop(5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    // The child says when its SIGTERM handler is in place: under load a Node start can take
    // longer than any fixed sleep, and an earlier SIGTERM would end it politely.
    const armed = `${dir}/armed`;
    const stubborn = supervise({
      argv: [
        process.execPath,
        '-e',
        `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(armed)}, '');
         setInterval(() => {}, 1000)`,
      ],
      env: process.env,
      log,
    });
    await until(() => existsSync(armed));
    const t1 = Date.now();
    await stubborn.stop(300);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(290);
    expect(stubborn.starts).toBe(1);
  });
});
