import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  NetnsError,
  createNetns,
  createVethPair,
  listNetns,
  processStartTime,
  sweepStaleNetns,
  withNetns,
} from '../src/index.js';
import { netnsLifecycle } from './helpers.js';

netnsLifecycle();

describe('network namespaces', () => {
  it('two namespaces joined by a veth pair ping each other, and nothing is left afterwards', async () => {
    const names = await withNetns(['a', 'b'], async (a, b) => {
      await createVethPair(
        { netns: a, name: 'sy-a', addresses: ['10.250.0.1/30', 'fd00:5959::1/64'] },
        { netns: b, name: 'sy-b', addresses: ['10.250.0.2/30', 'fd00:5959::2/64'] },
      );
      const v4 = await a.exec(['ping', '-c', '1', '-W', '2', '10.250.0.2']);
      expect(v4.stdout).toMatch(/1 received/);
      const v6 = await b.exec(['ping', '-6', '-c', '1', '-W', '2', 'fd00:5959::1']);
      expect(v6.stdout).toMatch(/1 received/);
      expect(listNetns()).toEqual(expect.arrayContaining([a.name, b.name]));
      return [a.name, b.name];
    });
    const after = listNetns();
    for (const name of names) expect(after).not.toContain(name);
  });

  it('does not route between namespaces that share no link', async () => {
    await withNetns(['c', 'd'], async (c, d) => {
      await c.exec(['ip', 'addr', 'add', '10.250.1.1/32', 'dev', 'lo']);
      const r = await d.execUnchecked(['ping', '-c', '1', '-W', '1', '10.250.1.1']);
      expect(r.exitCode).not.toBe(0);
      // ping itself ran (so the failure is the network's, not a missing binary).
      expect(r.stdout + r.stderr).toMatch(/0 received|unreachable/);
    });
  });

  it('exec reports the exit code and throws CommandError with the stderr', async () => {
    const ns = await createNetns('e');
    try {
      expect((await ns.execUnchecked(['sh', '-c', 'exit 3'])).exitCode).toBe(3);
      const err = await ns.exec(['sh', '-c', 'echo boom >&2; exit 4']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandError);
      expect((err as CommandError).exitCode).toBe(4);
      expect((err as CommandError).message).toContain('boom');
    } finally {
      await ns.delete();
    }
    expect(listNetns()).not.toContain(ns.name);
  });

  it('removes the namespace when the callback throws', async () => {
    let name = '';
    await expect(
      withNetns(['f'], async (f) => {
        name = f.name;
        throw new Error('test failure');
      }),
    ).rejects.toThrow('test failure');
    expect(name).not.toBe('');
    expect(listNetns()).not.toContain(name);
  });

  it('ends processes started in a namespace when it is deleted', async () => {
    const ns = await createNetns('g');
    const child = ns.spawn(['sleep', '300']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await ns.delete();
    await exited;
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });

  it('rejects an invalid interface name before creating anything', async () => {
    await withNetns(['h', 'i'], async (h, i) => {
      await expect(
        createVethPair({ netns: h, name: 'this-name-is-too-long' }, { netns: i, name: 'x' }),
      ).rejects.toBeInstanceOf(NetnsError);
      const links = await h.exec(['ip', '-o', 'link', 'show']);
      expect(links.stdout.trim().split('\n')).toHaveLength(1); // only lo
    });
  });
});

describe('sweepStaleNetns', () => {
  it('removes namespaces of a killed creator and keeps those of live ones', async () => {
    const victim = spawn('sleep', ['300']);
    const pid = victim.pid!;
    const start = processStartTime(pid)!;
    const stale = `sy-${pid}-${start}-stale-0`;
    const own = `sy-${process.pid}-${processStartTime(process.pid)}-keep-0`;
    const { run } = await import('../src/run.js');
    await run(['ip', 'netns', 'add', stale]);
    await run(['ip', 'netns', 'add', own]);
    try {
      const died = new Promise((resolve) => victim.on('exit', resolve));
      victim.kill('SIGKILL');
      await died;
      const removed = await sweepStaleNetns();
      expect(removed).toContain(stale);
      expect(removed).not.toContain(own);
      expect(listNetns()).not.toContain(stale);
      expect(listNetns()).toContain(own);
    } finally {
      await run(['ip', 'netns', 'delete', stale]).catch(() => undefined);
      await run(['ip', 'netns', 'delete', own]).catch(() => undefined);
    }
  });
});
