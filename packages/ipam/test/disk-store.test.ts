import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../src/disk-store.js';
import { IpamConfigError, LockTimeoutError, StoreError } from '../src/errors.js';
import { FileLock } from '../src/file-lock.js';
import { IpAddress } from '../src/ip-address.js';
import { HOST_LOCAL, requireBuilt, startPlugin, tempDir } from './helpers.js';

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
