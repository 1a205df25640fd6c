import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type Netns, createNetns, runUnchecked, sweepStaleNetns } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, type ContainerState } from '../src/node-runtime/container.js';

let ns: Netns;
let dir: string;

beforeAll(async () => {
  await sweepStaleNetns();
  ns = await createNetns('ctr');
  dir = await mkdtemp(`${tmpdir()}/sy-ctr-`);
});
afterAll(async () => {
  await ns.delete();
  await rm(dir, { recursive: true, force: true });
});

function launch(script: string, log: string) {
  return {
    argv: ['sh', '-c', script],
    env: { PATH: '/usr/bin:/bin', GREETING: 'hi' },
    netns: ns.name,
    log: `${dir}/${log}`,
  };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function pidsInNetns(): Promise<number[]> {
  const { stdout } = await runUnchecked(['ip', 'netns', 'pids', ns.name]);
  return stdout.split('\n').filter(Boolean).map(Number);
}

describe('container processes', () => {
  it('runs in the namespace with its env, logs to its file, and ends as Completed', async () => {
    const c = new Container(
      'once',
      'switchyard/toolbox',
      launch('echo "$GREETING from $(ip -o link show lo | cut -d: -f2)"', 'once.log'),
      'Never',
      () => undefined,
    );
    c.start();
    await until(() => c.state.kind === 'terminated');
    expect(c.state).toMatchObject({ kind: 'terminated', exitCode: 0, reason: 'Completed' });
    expect(await readFile(`${dir}/once.log`, 'utf8')).toBe('hi from  lo\n');
  });

  it('Always restarts a failing container with a backoff and counts restarts', async () => {
    const states: ContainerState['kind'][] = [];
    const c = new Container('crash', 'x', launch('exit 3', 'crash.log'), 'Always', () =>
      states.push(c.state.kind),
    );
    c.start();
    await until(() => c.restartCount >= 1 && c.state.kind === 'waiting');
    expect(c.lastTermination).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(c.state).toMatchObject({ kind: 'waiting', reason: 'CrashLoopBackOff' });
    expect(states).toContain('running');
    await c.stop(100);
    const count = c.restartCount;
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.restartCount).toBe(count); // stopped: no more restarts
  });

  it('OnFailure does not restart a clean exit', async () => {
    const c = new Container('ok', 'x', launch('exit 0', 'ok.log'), 'OnFailure', () => undefined);
    c.start();
    await until(() => c.state.kind === 'terminated');
    await new Promise((r) => setTimeout(r, 1200));
    expect(c.state.kind).toBe('terminated');
    expect(c.restartCount).toBe(0);
  });

  it('stop ends the whole process group, escalating to SIGKILL after the grace period', async () => {
    // The shell ignores SIGTERM and has a child: both must be gone after stop().
    const c = new Container(
      'stubborn',
      'x',
      launch("trap '' TERM; sleep 600 & wait", 'stubborn.log'),
      'Always',
      () => undefined,
    );
    c.start();
    await until(() => c.state.kind === 'running');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    expect((await pidsInNetns()).length).toBeGreaterThanOrEqual(2);
    await c.stop(500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(c.state).toMatchObject({ kind: 'terminated', exitCode: 137, signal: 9 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await pidsInNetns()).toEqual([]);
  });

  it('a container that cannot be created never starts and keeps its reason', () => {
    const c = new Container(
      'bad',
      'nginx',
      { reason: 'ErrImagePull', message: 'no such image' },
      'Always',
      () => undefined,
    );
    c.start();
    expect(c.state).toEqual({ kind: 'waiting', reason: 'ErrImagePull', message: 'no such image' });
    expect(c.pid).toBeUndefined();
  });
});
