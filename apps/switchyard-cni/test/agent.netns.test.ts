import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { NodeLab, ensureBuilt, podAddress, sleep } from './node-lab.js';

// Ranges private to this file: pods 10.82.1.0/24 in cluster 10.82.0.0/16.
let lab: NodeLab;
const pods: Netns[] = [];

async function pod(): Promise<Netns> {
  const ns = await createNetns('apod');
  pods.push(ns);
  return ns;
}

async function add(id: string, ns: Netns): Promise<string> {
  const r = await lab.cni({ verb: 'ADD', containerId: id, netns: ns.path });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  return (r.json as { ips: { address: string }[] }).ips[0]!.address;
}

async function del(id: string, ns: Netns): Promise<void> {
  const r = await lab.cni({ verb: 'DEL', containerId: id, netns: ns.path });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
}

beforeAll(async () => {
  ensureBuilt();
  await sweepStaleNetns();
  lab = await NodeLab.create('agnode', '10.82.1.0/24', '10.82.0.0/16');
  await lab.startAgent();
});

afterAll(async () => {
  for (const ns of pods) await ns.delete();
  await lab?.destroy();
});

describe('switchyard-agent', () => {
  it('serves 50 concurrent ADDs with distinct addresses, then 50 concurrent DELs', async () => {
    const namespaces = await Promise.all(Array.from({ length: 50 }, () => pod()));
    const addresses = await Promise.all(namespaces.map((ns, i) => add(`c${i}`, ns)));
    expect(new Set(addresses).size).toBe(50);
    expect(lab.held().size).toBe(50);
    // What each pod holds in the kernel is what its result said.
    expect(await podAddress(namespaces[17]!)).toBe(addresses[17]);
    await namespaces[0]!.exec(['ping', '-c', '1', '-W', '2', addresses[49]!.split('/')[0]!]);
    await Promise.all(namespaces.map((ns, i) => del(`c${i}`, ns)));
    expect(lab.held().size).toBe(0);
    const { stdout } = await lab.node.exec(['ip', '-j', 'link', 'show', 'type', 'veth']);
    expect(JSON.parse(stdout || '[]')).toEqual([]);
    for (const ns of namespaces.splice(0)) await ns.delete();
  }, 120_000);

  it('survives garbage, stalled and truncated connections on its socket', async () => {
    const talk = (bytes: Buffer, end: boolean): Promise<string> =>
      new Promise((resolve) => {
        const c = createConnection(lab.socket);
        let got = '';
        c.on('data', (d) => (got += d.toString('latin1')));
        c.on('close', () => resolve(got));
        c.on('error', () => undefined);
        c.write(bytes);
        if (end) c.end();
        else setTimeout(() => c.destroy(), 300);
      });
    expect(await talk(Buffer.from('GET / HTTP/1.1\r\n\r\n'), true)).toBe('');
    const huge = Buffer.alloc(12);
    huge.write('SYC1');
    huge.writeUInt32BE(1, 4);
    huge.writeUInt32BE(0xffffffff, 8); // a field longer than any request may be
    expect(await talk(Buffer.concat([huge, Buffer.alloc(64)]), false)).toBe('');
    const t0 = Date.now();
    expect(await talk(Buffer.from('SYC1'), true)).toBe(''); // half a header, then EOF
    expect(Date.now() - t0).toBeLessThan(5000); // closed at EOF, not after the request timeout
    const p = await pod();
    await add('after-garbage', p);
    await del('after-garbage', p);
    expect(lab.agent?.exitCode).toBeNull();
  });

  it('falls back to the standalone plugin while the agent is down, never double-allocating', async () => {
    const a = await pod();
    const b = await pod();
    const c = await pod();
    const fromAgent = await add('before', a);
    await lab.stopAgent();
    expect(existsSync(lab.socket)).toBe(false);

    // The shim finds no socket and execs `node standalone.js` on the same store.
    const fromFallback = await add('during', b);
    expect(fromFallback).not.toBe(fromAgent);
    expect(lab.held().get(fromFallback.split('/')[0]!)).toBe('during\r\neth0');
    await b.exec(['ping', '-c', '1', '-W', '2', '10.82.1.1']);
    const check = await lab.cni({ verb: 'CHECK', containerId: 'before', netns: a.path });
    expect(check.exitCode, check.stdout).toBe(0);

    // Back up: the agent reads what the fallback wrote and allocates around it.
    await lab.startAgent();
    const after = await add('after', c);
    expect(new Set([fromAgent, fromFallback, after]).size).toBe(3);
    await c.exec(['ping', '-c', '1', '-W', '2', fromFallback.split('/')[0]!]);
    await del('during', b);
    await del('before', a);
    await lab.stopAgent();
    await del('after', c); // DEL through the fallback
    expect(lab.held().size).toBe(0);
    await lab.startAgent();
  }, 90_000);

  it('restarts without disturbing running pods, keeps the conflist, and reports health', async () => {
    const a = await pod();
    const b = await pod();
    await add('keep-a', a);
    const addrB = (await add('keep-b', b)).split('/')[0]!;
    const conflist = readFileSync(join(lab.confDir, '10-switchyard.conflist'), 'utf8');
    // A long-running ping across the restart loses nothing that matters: count replies.
    const pinger = a.spawn(['ping', '-i', '0.2', '-c', '25', addrB]);
    let replies = 0;
    pinger.stdout!.on(
      'data',
      (d: Buffer) => (replies += (d.toString().match(/bytes from/g) ?? []).length),
    );
    const done = new Promise((r) => pinger.once('exit', r));
    await sleep(1000);
    await lab.stopAgent('SIGKILL');
    await lab.startAgent();
    await done;
    expect(replies).toBeGreaterThanOrEqual(24);
    expect(readFileSync(join(lab.confDir, '10-switchyard.conflist'), 'utf8')).toBe(conflist);

    const ready = await lab.node.exec([
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${lab.healthUrl}/readyz`,
    ]);
    expect(ready.stdout).toBe('200');
    const health = `${lab.healthUrl}/healthz`;
    const code = async (): Promise<string> =>
      (await lab.node.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', health])).stdout;
    expect(await code()).toBe('200');
    // Without its socket file no shim can reach the agent: liveness fails (and a kubelet restarts it).
    rmSync(lab.socket);
    expect(await code()).toBe('503');
    await lab.stopAgent();
    await lab.startAgent();
    await del('keep-a', a);
    const metrics = await lab.node.exec(['curl', '-s', `${lab.healthUrl}/metrics`]);
    expect(metrics.stdout).toMatch(/switchyard_cni_requests_total\{verb="DEL",code="0"\} 1/);
    await del('keep-b', b);
  }, 60_000);

  it('GC releases the address of a pod whose namespace vanished without a DEL', async () => {
    await lab.stopAgent();
    await lab.startAgent(['--gc-interval', '1', '--gc-grace', '1']);
    const live = await pod();
    const vanishing = await createNetns('vanish');
    const liveAddr = await add('live', live);
    await add('vanishing', vanishing);
    expect(lab.held().size).toBe(2);
    await vanishing.delete(); // the kernel removes the veth pair with the namespace
    const deadline = Date.now() + 20_000;
    while (lab.held().size > 1 && Date.now() < deadline) await sleep(200);
    expect([...lab.held().entries()]).toEqual([[liveAddr.split('/')[0]!, 'live\r\neth0']]);
    expect(lab.agentLog).toContain('released leaked addresses');
    await del('live', live);
  }, 60_000);
});
