// runApp as a user and the kubelet see it: a tiny app (test/fixtures/tiny-app.mjs, on the built
// dist/) run as a child process, judged by its exit code, its output and its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/tiny-app.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const USAGE =
  'usage: tiny-app [--start serve|fail|done|hang] [--stop-ms N] [--fail-stop at-once|later]\n';

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  lines: () => Record<string, unknown>[];
  exited: Promise<number | null>;
}

function launch(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [APP, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  // 'close' comes after the pipes have delivered everything.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
  };
}

async function waitForLine(run: Run, msg: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!run.lines().some((l) => l.msg === msg)) {
    if (Date.now() > deadline) throw new Error(`no "${msg}" line; output: ${run.stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const msgs = (run: Run): unknown[] => run.lines().map((l) => l.msg);

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error('build first: npx tsc -b packages/kube/tsconfig.lib.json');
});

describe('runApp', { timeout: 20_000 }, () => {
  it.each([['--help'], ['-h'], ['--stop-ms', '--help']])(
    'prints the usage for %j and exits 0 without starting',
    async (...args) => {
      const run = launch(args);
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toBe(USAGE);
      expect(run.stderr()).toBe('');
    },
  );

  it.each([
    [['--bogus'], '--bogus: unknown flag'],
    [['--stop-ms'], '--stop-ms: needs a value'],
    [['--start=maybe'], '--start: must be one of serve, fail, done or hang, got maybe'],
  ])(
    'refuses %j: exit 2, the error and the usage on stderr, nothing started',
    async (args, msg) => {
      const run = launch(args);
      expect(await run.exited).toBe(2);
      expect(run.stderr()).toBe(`tiny-app: ${msg}\n\n${USAGE}`);
      expect(run.stdout()).toBe('');
    },
  );

  it('checks a variable standing in for a flag the same way (exit 2)', async () => {
    const run = launch([], { TINY_LOG_LEVEL: 'loud' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(
      'tiny-app: --log-level: must be one of debug, info, warn or error, got loud',
    );
  });

  it('logs a start that throws as a JSON error line and exits 1', async () => {
    const run = launch(['--start=fail']);
    expect(await run.exited).toBe(1);
    expect(run.lines()).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'cannot start',
        app: 'tiny-app',
        error: 'Error: no way',
      }),
    ]);
  });

  it('exits 0 when the start resolves with nothing left to run', async () => {
    const run = launch(['--start=done']);
    expect(await run.exited).toBe(0);
    expect(msgs(run)).toEqual(['done']);
  });

  it('stops once however many signals come, waits for the graceful stop, then exits 0', async () => {
    const run = launch(['--stop-ms=600']);
    await waitForLine(run, 'started');
    const at = Date.now();
    run.child.kill('SIGTERM');
    await waitForLine(run, 'stop called');
    run.child.kill('SIGINT');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(Date.now() - at).toBeGreaterThanOrEqual(550);
    expect(msgs(run)).toEqual(['started', 'stop called', 'stopped']);
    expect(run.lines()[1]).toMatchObject({ signal: 'SIGTERM' });
  });

  it('stops on SIGINT too', async () => {
    const run = launch([]);
    await waitForLine(run, 'started');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.lines()[1]).toMatchObject({ msg: 'stop called', signal: 'SIGINT' });
  });

  it('logs at the level the options ask for', async () => {
    const run = launch(['--start=done', '--log-level=warn']);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('');
  });

  it.each([
    ['later', 'Error: stuck'],
    ['at-once', 'Error: stuck at once'],
  ])('exits 1 when the graceful stop fails (%s)', async (when, error) => {
    const run = launch([`--fail-stop=${when}`]);
    await waitForLine(run, 'started');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(1);
    expect(run.lines().at(-1)).toMatchObject({ level: 'error', msg: 'stop failed', error });
  });

  it('exits 0 at once on a signal while the start is still running', async () => {
    const run = launch(['--start=hang']);
    await waitForLine(run, 'starting');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(msgs(run)).toEqual(['starting', 'stopping before the start finished']);
  });
});
