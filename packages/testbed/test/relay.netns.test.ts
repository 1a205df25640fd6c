import { connect } from 'node:net';
import { type Netns, createNetns, sweepStaleNetns } from '@switchyard/linux';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRecordAlive, stopDaemon } from '../src/daemon.js';
import { startRelay } from '../src/relay.js';

let lab: Netns;
let dir: string;

beforeAll(async () => {
  await sweepStaleNetns();
  lab = await createNetns('relaylab');
  dir = await mkdtemp(`${tmpdir()}/sy-relay-`);
  // A stand-in apiserver: a TCP server on an address that exists only inside the lab namespace.
  await lab.exec(['ip', 'addr', 'add', '10.251.0.1/32', 'dev', 'lo']);
});

afterAll(async () => {
  await lab.delete();
  await rm(dir, { recursive: true, force: true });
});

function roundTrip(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(msg));
    s.on('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('apiserver relay', () => {
  it('carries root-namespace loopback connections to an address only the lab can reach', async () => {
    const server = lab.spawn([
      process.execPath,
      '-e',
      `require('net').createServer(s => s.on('data', d => s.end('lab saw ' + d))).listen(6443, '10.251.0.1', () => console.log('up'))`,
    ]);
    await new Promise((r) => server.stdout!.once('data', r));
    const relay = await startRelay(
      lab.name,
      { host: '10.251.0.1', port: 6443 },
      `${dir}/relay.log`,
    );
    try {
      expect(relay.port).toBeGreaterThan(0);
      expect(await roundTrip(relay.port, 'hello')).toBe('lab saw hello');
      expect(await roundTrip(relay.port, 'again')).toBe('lab saw again');
      // The relay runs inside the lab namespace, not ours.
      const pids = (await lab.exec(['ip', 'netns', 'pids', lab.name])).stdout;
      expect(pids.split('\n')).toContain(String(relay.record.pid));
    } finally {
      await stopDaemon(relay.record);
    }
    expect(isRecordAlive(relay.record)).toBe(false);
    // With the relay gone nothing listens on the port any more.
    await expect(roundTrip(relay.port, 'x')).rejects.toThrow(/ECONNREFUSED/);
  });
});
