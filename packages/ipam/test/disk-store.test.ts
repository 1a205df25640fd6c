import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../src/disk-store.js';
import { IpamConfigError, LockTimeoutError, StoreError } from '../src/errors.js';
import { FileLock } from '../src/file-lock.js';
import { IpAddress } from '../src/ip-address.js';
import { HOST_LOCAL, requireBuilt, snapshot, startPlugin, tempDir } from './helpers.js';

const ip = (s: string): IpAddress => IpAddress.parse(s);
let dir: ReturnType<typeof tempDir>;

beforeEach(() => {
  dir = tempDir('disk');
});
afterEach(() => dir.cleanup());

describe('DiskStore (host-local format)', () => {
  it('writes one file per address with "id\\r\\nifname", mode 0644, and last_reserved_ip.N', () => {
    const store = new DiskStore('net1', { dataDir: dir.path });
    store.withLock(() => {
      expect(store.reserve(ip('10.1.0.2'), { containerId: ' c1 ', ifName: 'eth0' }, 0)).toBe(true);
      expect(store.reserve(ip('fd00::2'), { containerId: 'c1', ifName: 'eth0' }, 1)).toBe(true);
    });
    const net = join(dir.path, 'net1');
    expect(readFileSync(join(net, '10.1.0.2'), 'latin1')).toBe('c1\r\neth0');
    expect(readFileSync(join(net, 'fd00::2'), 'latin1')).toBe('c1\r\neth0');
    expect(statSync(join(net, '10.1.0.2')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(net, 'last_reserved_ip.0'), 'latin1')).toBe('10.1.0.2');
    expect(readFileSync(join(net, 'last_reserved_ip.1'), 'latin1')).toBe('fd00::2');
    expect(existsSync(join(net, 'lock'))).toBe(true);
    expect(store.lastReserved(1)?.toString()).toBe('fd00::2');
    expect(store.lastReserved(7)).toBeUndefined();
  });

  it('refuses an address that is taken and leaves it untouched', () => {
    const store = new DiskStore('n', { dataDir: dir.path });
    store.withLock(() => {
      expect(store.reserve(ip('10.0.0.5'), { containerId: 'a', ifName: 'eth0' }, 0)).toBe(true);
      expect(store.reserve(ip('10.0.0.5'), { containerId: 'b', ifName: 'eth0' }, 0)).toBe(false);
    });
    expect(readFileSync(join(dir.path, 'n', '10.0.0.5'), 'latin1')).toBe('a\r\neth0');
  });

  it('lists allocations, reading legacy ID-only files and ignoring bookkeeping and foreign files', () => {
    const store = new DiskStore('n', { dataDir: dir.path });
    store.withLock(() => store.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'eth1' }, 0));
    const net = join(dir.path, 'n');
    writeFileSync(join(net, '10.0.0.3'), 'legacy\n');
    writeFileSync(join(net, 'README'), 'not an address');
    writeFileSync(join(net, 'fd00:0::9'), 'x\r\neth0'); // not canonical: neither tool writes it
    const list = store.list().sort((x, y) => x.address.compare(y.address));
    expect(list.map((a) => [a.address.toString(), a.containerId, a.ifName])).toEqual([
      ['10.0.0.2', 'a', 'eth1'],
      ['10.0.0.3', 'legacy', ''],
    ]);
  });

  it('releases a file, and reports whether it existed', () => {
    const store = new DiskStore('n', { dataDir: dir.path });
    store.withLock(() => {
      store.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'eth0' }, 0);
      expect(store.release(ip('10.0.0.2'))).toBe(true);
      expect(store.release(ip('10.0.0.2'))).toBe(false);
    });
    expect(existsSync(join(dir.path, 'n', '10.0.0.2'))).toBe(false);
  });

  it('refuses writes outside withLock and nested locking', () => {
    const store = new DiskStore('n', { dataDir: dir.path });
    expect(() => store.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'e' }, 0)).toThrow(
      StoreError,
    );
    expect(() => store.withLock(() => store.withLock(() => 1))).toThrow(/not reentrant/);
    expect(store.withLock(() => 42)).toBe(42); // the failed nesting released the lock
  });

  it('rejects network names that could escape dataDir', () => {
    for (const name of ['../etc', 'a/b', '', '.hidden']) {
      expect(() => new DiskStore(name, { dataDir: dir.path }), name).toThrow(IpamConfigError);
    }
  });

  it('removes temporary files left by a killed writer on sweep, and nothing else', () => {
    const store = new DiskStore('n', { dataDir: dir.path });
    const net = join(dir.path, 'n');
    writeFileSync(join(net, '.switchyard-tmp-999-0'), 'dead\r\neth0');
    store.withLock(() => {
      store.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'eth0' }, 0);
      store.sweep();
    });
    expect(existsSync(join(net, '.switchyard-tmp-999-0'))).toBe(false);
    expect(existsSync(join(net, '10.0.0.2'))).toBe(true);
    expect(existsSync(join(net, 'last_reserved_ip.0'))).toBe(true);
  });
});

describe('DiskStore.hold() (a long-running owner)', () => {
  const lockFree = (store: DiskStore): boolean =>
    spawnSync('flock', ['-n', '-x', join(store.dir, 'lock'), 'true']).status === 0;
  const addresses = (store: DiskStore): string[] =>
    store
      .list()
      .map((a) => `${a.address.toString()} ${a.containerId} ${a.ifName}`)
      .sort();

  it('keeps the lock until close() and writes the same files as a store locking per call', () => {
    const owner = new DiskStore('held', { dataDir: dir.path });
    const plain = new DiskStore('plain', { dataDir: dir.path });
    owner.hold();
    expect(lockFree(owner)).toBe(false);
    const other = new DiskStore('held', { dataDir: dir.path, lockTimeoutMs: 200 });
    expect(() => other.withLock(() => 0)).toThrow(LockTimeoutError);
    for (const store of [owner, plain]) {
      store.withLock(() => {
        expect(store.reserve(ip('10.0.0.2'), { containerId: ' a ', ifName: 'eth0' }, 0)).toBe(true);
        expect(store.reserve(ip('fd00::3'), { containerId: 'b', ifName: 'eth1' }, 1)).toBe(true);
        expect(store.release(ip('fd00::3'))).toBe(true);
      });
    }
    expect(snapshot(owner.dir)).toEqual(snapshot(plain.dir));
    expect(snapshot(owner.dir)['10.0.0.2']).toBe('a\r\neth0');
    expect(lockFree(owner)).toBe(false);
    owner.close();
    expect(lockFree(owner)).toBe(true);
    expect(other.withLock(() => addresses(other))).toEqual(['10.0.0.2 a eth0']);
    expect(other.lastReserved(1)?.toString()).toBe('fd00::3');
  });

  it('reads the store once: serves list and cursors from memory, counts only what it knows', () => {
    const before = new DiskStore('n', { dataDir: dir.path });
    before.withLock(() => before.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'e' }, 0));
    const owner = new DiskStore('n', { dataDir: dir.path });
    owner.hold();
    expect(addresses(owner)).toEqual(['10.0.0.2 a e']);
    expect(owner.lastReserved(0)?.toString()).toBe('10.0.0.2');
    // A writer that ignores the lock goes unseen while the store is held...
    writeFileSync(join(owner.dir, '10.0.0.9'), 'rogue\r\ne');
    writeFileSync(join(owner.dir, 'last_reserved_ip.0'), '10.0.0.9');
    expect(addresses(owner)).toEqual(['10.0.0.2 a e']);
    expect(owner.lastReserved(0)?.toString()).toBe('10.0.0.2');
    owner.withLock(() => {
      // ...but its file still counts as taken, and is not ours to release.
      expect(owner.reserve(ip('10.0.0.9'), { containerId: 'b', ifName: 'e' }, 0)).toBe(false);
      expect(owner.release(ip('10.0.0.9'))).toBe(false);
      expect(owner.reserve(ip('10.0.0.2'), { containerId: 'b', ifName: 'e' }, 0)).toBe(false);
      // An address whose file vanished is still released (memory is the truth).
      rmSync(join(owner.dir, '10.0.0.2'));
      expect(owner.release(ip('10.0.0.2'))).toBe(true);
      expect(owner.release(ip('10.0.0.2'))).toBe(false);
    });
    expect(addresses(owner)).toEqual([]);
    expect(readFileSync(join(owner.dir, '10.0.0.9'), 'latin1')).toBe('rogue\r\ne');
    owner.close();
    // Back to reading the disk.
    expect(addresses(owner)).toEqual(['10.0.0.9 rogue e']);
  });

  it('holds nothing after a failed hold(), refuses it while locked, then locks per call after close()', () => {
    const owner = new DiskStore('n', { dataDir: dir.path, lockTimeoutMs: 200 });
    const blocker = FileLock.acquire(join(owner.dir, 'lock'));
    expect(() => owner.hold()).toThrow(LockTimeoutError);
    blocker.release();
    expect(lockFree(owner)).toBe(true);
    expect(() => owner.withLock(() => owner.hold())).toThrow(/while locked/);
    owner.hold();
    expect(() => owner.hold()).toThrow(StoreError);
    expect(() => owner.reserve(ip('10.0.0.2'), { containerId: 'a', ifName: 'e' }, 0)).toThrow(
      /outside withLock/,
    );
    expect(() => owner.withLock(() => owner.withLock(() => 1))).toThrow(/not reentrant/);
    expect(owner.withLock(() => 42)).toBe(42);
    owner.close();
    expect(lockFree(owner)).toBe(true);
    expect(owner.withLock(() => lockFree(owner))).toBe(false);
    expect(lockFree(owner)).toBe(true);
  });
});

describe('FileLock', () => {
  it('excludes flock(1) holders, the same lock host-local takes, until released', () => {
    const path = join(dir.path, 'lock');
    const lock = FileLock.acquire(path);
    expect(spawnSync('flock', ['-n', '-x', path, 'true']).status).toBe(1);
    lock.release();
    expect(lock.held).toBe(false);
    expect(spawnSync('flock', ['-n', '-x', path, 'true']).status).toBe(0);
    lock.release(); // twice is fine
  });

  it('fails fast or times out with LockTimeoutError (CNI code 11) while another process holds it', async () => {
    const path = join(dir.path, 'lock');
    const holder = spawn('flock', ['-x', '-o', path, 'sleep', '30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      while (spawnSync('flock', ['-n', path, 'true']).status === 0) await sleep(20);
      const err = (() => {
        try {
          FileLock.acquire(path, { wait: false });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as LockTimeoutError).cniCode).toBe(11);
      const t0 = Date.now();
      expect(() => FileLock.acquire(path, { timeoutMs: 300 })).toThrow(/not free after 300 ms/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const lock = FileLock.acquire(path, { timeoutMs: 5000 });
    expect(lock.held).toBe(true);
    lock.release();
  });

  it('holds off the real host-local binary until released (the interop guarantee)', async () => {
    const store = new DiskStore('shared', { dataDir: dir.path });
    store.withLock(() =>
      store.reserve(ip('10.31.0.2'), { containerId: 'ours', ifName: 'eth0' }, 0),
    );
    const config = {
      cniVersion: '1.0.0',
      name: 'shared',
      type: 'bridge',
      ipam: { type: 'host-local', dataDir: dir.path, ranges: [[{ subnet: '10.31.0.0/24' }]] },
    };
    const lock = FileLock.acquire(join(store.dir, 'lock'));
    const run = startPlugin(HOST_LOCAL, 'ADD', config, { containerId: 'theirs' });
    try {
      await sleep(500); // host-local needs ~20 ms when it is not blocked
      expect(run.child.exitCode).toBeNull();
      expect(existsSync(join(store.dir, '10.31.0.3'))).toBe(false);
    } finally {
      lock.release();
    }
    const r = await run.done;
    expect(r.status, r.stdout).toBe(0);
    // It saw our reservation and our cursor, and took the next address.
    expect((r.json as { ips: { address: string }[] }).ips[0]!.address).toBe('10.31.0.3/24');
  });

  it('is released by the kernel when the holding process is killed with SIGKILL', () => {
    const path = join(dir.path, 'lock');
    const script = `
      import { FileLock } from ${JSON.stringify(requireBuilt('file-lock.js'))};
      FileLock.acquire(${JSON.stringify(path)});
      process.stdout.write('locked ');
      setInterval(() => {}, 1000);`;
    const child = spawnSync(
      'sh',
      [
        '-c',
        `node --input-type=module -e "$0" & pid=$!; sleep 1; flock -n ${path} true; echo "held=$?"; kill -9 $pid; wait $pid; flock -n ${path} true; echo "after=$?"`,
        script,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stdout).toContain('locked');
    expect(child.stdout).toContain('held=1');
    expect(child.stdout).toContain('after=0');
  });
});
