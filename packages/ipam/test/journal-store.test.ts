import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Allocator } from '../src/allocator.js';
import { LockTimeoutError, StoreError } from '../src/errors.js';
import { collectGarbage } from '../src/gc.js';
import { IpAddress } from '../src/ip-address.js';
import { JournalStore } from '../src/journal-store.js';
import { RangeSet } from '../src/range-set.js';
import { requireBuilt, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let journal: string;
const open: JournalStore[] = [];

beforeEach(() => {
  dir = tempDir('journal');
  journal = join(dir.path, 'ipam.journal');
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  dir.cleanup();
});

const SETS = [
  RangeSet.fromConfig([{ subnet: '10.40.0.0/24' }]),
  RangeSet.fromConfig([{ subnet: 'fd00:40::/120' }]),
];
function openAllocator(options?: { compactAfter?: number }): Allocator {
  const store = JournalStore.open(journal, options);
  open.push(store);
  return new Allocator(SETS, store);
}
function state(a: Allocator): string[] {
  return a.store
    .withLock(() => a.store.list())
    .map((x) => `${x.address.toString()} ${x.containerId}/${x.ifName}`)
    .sort();
}
function reopen(a: Allocator, options?: { compactAfter?: number }): Allocator {
  a.store.close();
  return openAllocator(options);
}

describe('JournalStore', () => {
  it('replays allocations and round-robin cursors after a restart', () => {
    let a = openAllocator();
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    a.allocate({ containerId: 'c2', ifName: 'eth0' });
    a.release({ containerId: 'c1', ifName: 'eth0' });
    const before = state(a);
    a = reopen(a);
    expect(state(a)).toEqual(before);
    expect(before).toEqual(['10.40.0.3 c2/eth0', 'fd00:40::3 c2/eth0']);
    // The cursor survived: the next address is .4, not the freed .2.
    expect(
      a.allocate({ containerId: 'c3', ifName: 'eth0' }).map((x) => x.address.toString()),
    ).toEqual(['10.40.0.4', 'fd00:40::4']);
  });

  it('writes each withLock as one appended batch, on disk when the call returns', () => {
    const a = openAllocator();
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^[0-9a-f]{8} \{"t":"r","ip":"10\.40\.0\.2","id":"c1","if":"eth0","s":0\}$/,
    );
    expect(statSync(journal).mode & 0o777).toBe(0o600);
  });

  it('cuts off a torn last line and keeps going', () => {
    let a = openAllocator();
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    const good = statSync(journal).size;
    a.store.close();
    appendFileSync(journal, '1234abcd {"t":"r","ip":"10.40.0.9","id":"to'); // crash mid-append
    a = openAllocator();
    expect(statSync(journal).size).toBe(good);
    expect(state(a)).toEqual(['10.40.0.2 c1/eth0', 'fd00:40::2 c1/eth0']);
    a.allocate({ containerId: 'c2', ifName: 'eth0' });
    a = reopen(a);
    expect(state(a)).toHaveLength(4);
  });

  it('drops a complete last line whose checksum does not match', () => {
    let a = openAllocator();
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    a.store.close();
    appendFileSync(journal, '00000000 {"t":"f","ip":"10.40.0.2"}\n');
    a = openAllocator();
    expect(state(a)).toContain('10.40.0.2 c1/eth0');
  });

  it('refuses to open a journal damaged in the middle', () => {
    const a = openAllocator();
    a.allocate({ containerId: 'c1', ifName: 'eth0' });
    a.allocate({ containerId: 'c2', ifName: 'eth0' });
    a.store.close();
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('fd00', 'fd01');
    writeFileSync(journal, lines.join('\n'));
    expect(() => JournalStore.open(journal)).toThrow(/journal damaged at line 2/);
    expect(() => JournalStore.open(journal)).toThrow(StoreError);
  });

  it('compacts to the live state and stays correct across reopen', () => {
    let a = openAllocator({ compactAfter: 20 });
    for (let i = 0; i < 60; i++) {
      a.allocate({ containerId: `c${i}`, ifName: 'eth0' });
      if (i % 3 !== 0) a.release({ containerId: `c${i}`, ifName: 'eth0' });
    }
    const lines = readFileSync(journal, 'utf8').trim().split('\n').length;
    expect(lines).toBeLessThanOrEqual(20 * 2 + 2 + 20 + 4); // live records + cursors + slack
    const before = state(a);
    expect(before).toHaveLength(40);
    a = reopen(a, { compactAfter: 20 });
    expect(state(a)).toEqual(before);
    // The cursor survived compaction too.
    expect(a.allocate({ containerId: 'n', ifName: 'eth0' })[0]!.address.toString()).toBe(
      '10.40.0.62',
    );
  });

  it('GC frees invalid attachments and compacts the journal', () => {
    const a = openAllocator();
    for (let i = 0; i < 5; i++) a.allocate({ containerId: `c${i}`, ifName: 'eth0' });
    const freed = collectGarbage(a.store, [{ containerID: 'c3', ifname: 'eth0' }]);
    expect(freed).toHaveLength(8);
    expect(state(a)).toEqual(['10.40.0.5 c3/eth0', 'fd00:40::5 c3/eth0']);
    expect(readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(4); // 2 cursors + 2 live
  });

  it('lets only one process own a journal at a time', () => {
    openAllocator();
    expect(() => JournalStore.open(journal)).toThrow(LockTimeoutError);
  });

  it('survives SIGKILL at arbitrary points: acknowledged allocations are kept, none is half-made', async () => {
    const dist = requireBuilt('index.js');
    const script = `
      import { Allocator, JournalStore, RangeSet } from ${JSON.stringify(dist)};
      const sets = [RangeSet.fromConfig([{ subnet: '10.40.0.0/16' }]), RangeSet.fromConfig([{ subnet: 'fd00:40::/112' }])];
      const a = new Allocator(sets, JournalStore.open(process.argv[1], { compactAfter: 50 }));
      for (let i = 0; ; i++) {
        const id = process.pid + '-' + i;
        a.allocate({ containerId: id, ifName: 'eth0' });
        process.stdout.write('ok ' + id + '\\n');
        if (i % 2 === 1) { a.release({ containerId: id, ifName: 'eth0' }); process.stdout.write('rm ' + id + '\\n'); }
      }`;
    const acknowledged = new Set<string>();
    const removed = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const child = spawn('node', ['--input-type=module', '-e', script, journal], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Let it get going (node start-up time varies with load), then kill it at some point.
      while (!out.includes('ok ') && child.exitCode === null) await sleep(10);
      await sleep(20 + ((round * 37) % 80));
      child.kill('SIGKILL');
      await exited;
      for (const line of out.split('\n')) {
        const [verb, id] = line.split(' ');
        if (verb === 'ok') acknowledged.add(id!);
        if (verb === 'rm') removed.add(id!);
      }
    }
    expect(acknowledged.size).toBeGreaterThan(10);
    const a = openAllocator();
    const byId = new Map<string, string[]>();
    for (const x of a.store.withLock(() => a.store.list())) {
      byId.set(x.containerId, [...(byId.get(x.containerId) ?? []), x.address.toString()]);
    }
    for (const id of acknowledged) {
      // Even i are never released; an odd one may have been released just before the kill.
      if (Number(id.split('-')[1]) % 2 === 0) expect(byId.get(id), id).toHaveLength(2);
    }
    for (const id of removed) expect(byId.has(id), id).toBe(false);
    // At most the one in-flight allocation per killed round is unacknowledged, and it is whole.
    for (const [id, addresses] of byId) {
      expect(addresses, id).toHaveLength(2);
      expect(IpAddress.parse(addresses[0]!).family).not.toBe(IpAddress.parse(addresses[1]!).family);
    }
  });
});
