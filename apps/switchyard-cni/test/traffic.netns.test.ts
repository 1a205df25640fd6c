import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, createVethPair, sweepStaleNetns, type Netns } from '@switchyard/linux';
import { HOSTPORT_TABLE } from '../src/plugin/host-ports.js';
import { NodeLab, ensureBuilt, sleep } from './node-lab.js';

// Ranges private to this file: pods 10.83.1.0/24 in cluster 10.83.0.0/16; the node's uplink to
// the "internet" namespace is 198.18.83.0/24 (node .1, internet .2).
const NODE_IP = '198.18.83.1';
const INTERNET_IP = '198.18.83.2';

// A TCP server that prints each client's address and answers "hi".
const SERVER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(16)
print('ready', flush=True)
while True:
    c, a = s.accept()
    print(a[0], flush=True)
    c.sendall(b'hi')
    c.close()
`;
const CLIENT = `
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print(c.recv(10).decode())
`;

interface Server {
  peers: string[];
  process: ChildProcess;
}

let lab: NodeLab;
let internet: Netns;
const namespaces: Netns[] = [];

async function pod(id: string, conf?: object): Promise<{ ns: Netns; ip: string }> {
  const ns = await createNetns('tpod');
  namespaces.push(ns);
  const r = await lab.cni({
    verb: 'ADD',
    containerId: id,
    netns: ns.path,
    ...(conf ? { conf } : {}),
  });
  expect(r.exitCode, r.stdout).toBe(0);
  return { ns, ip: (r.json as { ips: { address: string }[] }).ips[0]!.address.split('/')[0]! };
}

async function serve(ns: Netns, port: number): Promise<Server> {
  const child = ns.spawn(['python3', '-u', '-c', SERVER, String(port)]);
  const server: Server = { peers: [], process: child };
  let ready = false;
  child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      if (line === 'ready') ready = true;
      else server.peers.push(line);
    }
  });
  const deadline = Date.now() + 10_000;
  while (!ready && Date.now() < deadline) await sleep(20);
  if (!ready) throw new Error('server did not start');
  return server;
}

async function connect(from: Netns, host: string, port: number): Promise<string> {
  const r = await from.execUnchecked(['python3', '-c', CLIENT, host, String(port)]);
  return r.exitCode === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim().split('\n').at(-1)}`;
}

beforeAll(async () => {
  ensureBuilt();
  await sweepStaleNetns();
  lab = await NodeLab.create('trnode', '10.83.1.0/24', '10.83.0.0/16');
  internet = await createNetns('internet');
  await createVethPair(
    { netns: lab.node, name: 'uplink', addresses: [`${NODE_IP}/24`] },
    { netns: internet, name: 'eth0', addresses: [`${INTERNET_IP}/24`] },
  );
  await lab.startAgent();
});

afterAll(async () => {
  for (const ns of namespaces) await ns.delete();
  await internet?.delete();
  await lab?.destroy();
});

describe('pod traffic through the node', () => {
  it('masquerades pod traffic leaving the cluster CIDR and never pod <-> pod', async () => {
    const a = await pod('mq-a');
    const b = await pod('mq-b');
    const outside = await serve(internet, 8080);
    // The internet namespace has no route to the pods: only a masqueraded connection can work.
    expect(await connect(a.ns, INTERNET_IP, 8080)).toBe('hi');
    expect(outside.peers).toEqual([NODE_IP]);
    const inside = await serve(b.ns, 8081);
    expect(await connect(a.ns, b.ip, 8081)).toBe('hi');
    expect(inside.peers).toEqual([a.ip]);
    const { stdout } = await lab.node.exec(['nft', 'list', 'table', 'inet', 'switchyard']);
    expect(stdout).toMatch(
      /ip saddr @cluster4 counter packets [1-9]\d* bytes \d+ masquerade fully-random/,
    );
  });

  it('maps a hostPort to the pod from outside, from the node and from a pod on the bridge', async () => {
    const conf = {
      ...lab.pluginConf(),
      runtimeConfig: { portMappings: [{ hostPort: 8083, containerPort: 80, protocol: 'tcp' }] },
    };
    // The node's IPv4 hostPort map, as `nft -j` prints it.
    const ports4 = async (): Promise<string> =>
      (await lab.node.exec(['nft', '-j', 'list', 'map', 'inet', HOSTPORT_TABLE, 'ports4'])).stdout;
    const web = await pod('web', conf);
    const server = await serve(web.ns, 80);
    const client = await pod('client');

    expect(await connect(internet, NODE_IP, 8083)).toBe('hi');
    expect(server.peers.at(-1)).toBe(INTERNET_IP); // DNAT only: the client's address is kept
    expect(await connect(lab.node, NODE_IP, 8083)).toBe('hi'); // the node itself (output hook)
    // A pod on the same bridge via the gateway: masqueraded (hairpin), so the reply comes back.
    expect(await connect(client.ns, '10.83.1.1', 8083)).toBe('hi');
    expect(server.peers.at(-1)).toBe('10.83.1.1');

    expect(await ports4()).toContain('"comment": "web/eth0"');

    // A second pod cannot take the same host port; its ADD fails and leaves nothing.
    const clash = await createNetns('clash');
    namespaces.push(clash);
    const before = lab.held().size;
    const r = await lab.cni({ verb: 'ADD', containerId: 'clash', netns: clash.path, conf });
    expect(r.json?.code, r.stdout).toBe(2);
    expect(lab.held().size).toBe(before);
    expect((await clash.execUnchecked(['ip', 'link', 'show', 'eth0'])).exitCode).not.toBe(0);

    const del = await lab.cni({ verb: 'DEL', containerId: 'web', netns: web.ns.path, conf });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(await ports4()).not.toContain('web/eth0');
    expect(await connect(internet, NODE_IP, 8083)).toMatch(/^failed/);
  });
});
