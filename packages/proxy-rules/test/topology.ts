import { type Netns, createNetns, createVethPair } from '@switchyard/linux';
import { expect } from 'vitest';
import type { EndpointSlice, NodeInfo, Service } from '../src/model.js';
import { ep, service, slice } from './fixtures.js';

/**
 * A node namespace routing (no bridge, so no br_netfilter) to pod namespaces over point-to-point
 * veths, plus an "outside" namespace that reaches the node over its own link:
 *
 *   ep1 10.244.1.2 ─┐
 *   ep2 10.244.2.2 ─┼─ node (forwarding; .1 on each link; rules loaded here) ─ 172.31.0.1 ── outside 172.31.0.2
 *   client 10.244.3.2 ┘
 *
 * Every link also carries IPv6 (fd00:244:N::2 in the pods, fd00:31::2 outside, ::1 on the node).
 *
 * ep1 counts as on this node (node-a), ep2 as on another node (node-b) for traffic policies.
 */
export interface Topology {
  node: Netns;
  ep1: Netns;
  ep2: Netns;
  client: Netns;
  outside: Netns;
  nodeInfo: NodeInfo;
  all: Netns[];
}

export const ADDR = {
  ep1: '10.244.1.2',
  ep2: '10.244.2.2',
  client: '10.244.3.2',
  outside: '172.31.0.2',
  nodeExternal: '172.31.0.1',
  nodeTowardEp1: '10.244.1.1',
  ep1v6: 'fd00:244:1::2',
  ep2v6: 'fd00:244:2::2',
  clientV6: 'fd00:244:3::2',
  outsideV6: 'fd00:31::2',
  nodeExternalV6: 'fd00:31::1',
};

export async function buildTopology(): Promise<Topology> {
  const all: Netns[] = [];
  try {
    const make = async (label: string): Promise<Netns> => {
      const ns = await createNetns(label);
      all.push(ns);
      return ns;
    };
    const node = await make('node');
    const links: [Netns, string, string, string, string][] = [];
    const ep1 = await make('ep1');
    const ep2 = await make('ep2');
    const client = await make('client');
    const outside = await make('outside');
    links.push([ep1, 'n-ep1', '10.244.1.1', ADDR.ep1, 'fd00:244:1::']);
    links.push([ep2, 'n-ep2', '10.244.2.1', ADDR.ep2, 'fd00:244:2::']);
    links.push([client, 'n-client', '10.244.3.1', ADDR.client, 'fd00:244:3::']);
    links.push([outside, 'n-out', ADDR.nodeExternal, ADDR.outside, 'fd00:31::']);
    for (const [ns, nodeIf, nodeIp, ip, v6] of links) {
      await createVethPair(
        { netns: node, name: nodeIf, addresses: [`${nodeIp}/30`, `${v6}1/64`] },
        { netns: ns, name: 'eth0', addresses: [`${ip}/30`, `${v6}2/64`] },
      );
      await ns.exec(['ip', 'route', 'add', 'default', 'via', nodeIp]);
      await ns.exec(['ip', '-6', 'route', 'add', 'default', 'via', `${v6}1`]);
    }
    await node.exec(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await node.exec(['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
    await node.exec(['ip', '-6', 'route', 'add', 'default', 'via', ADDR.outsideV6]);
    // Like a real node, a default route: without one a service address with no rules fails at
    // routing (ENETUNREACH) before the forward hook could REJECT it.
    await node.exec(['ip', 'route', 'add', 'default', 'via', ADDR.outside]);
    const nodeInfo: NodeInfo = {
      name: 'node-a',
      zone: 'zone-a',
      addresses: links.flatMap(([, , nodeIp, , v6]) => [nodeIp, `${v6}1`]),
      clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/32'],
    };
    return { node, ep1, ep2, client, outside, nodeInfo, all };
  } catch (e) {
    await Promise.all(all.map((ns) => ns.delete()));
    throw e;
  }
}

// Answers each TCP connection and UDP datagram with "<name> <client address>", so a test sees
// both which endpoint it reached and which source address that endpoint saw.
const ECHO = `
const net = require('node:net'), dgram = require('node:dgram');
const [name, port] = process.argv.slice(1);
const tcp = net.createServer((s) => { s.end(name + ' ' + s.remoteAddress.replace('::ffff:', '') + '\\n'); });
const udp = dgram.createSocket('udp6');
udp.on('message', (m, r) => udp.send(name + ' ' + r.address.replace('::ffff:', '') + '\\n', r.port, r.address));
let up = 0;
const ready = () => { if (++up === 2) console.log('listening'); };
tcp.listen(Number(port), '::', ready);
udp.bind(Number(port), '::', ready);
`;

/** Starts the echo server in `ns` and resolves once it listens. */
export async function startEcho(ns: Netns, name: string, port: number): Promise<void> {
  const child = ns.spawn(['node', '-e', ECHO, name, String(port)]);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`echo server ${name} exited with ${code}`)));
  });
}

// Makes `count` connections one after another; prints one JSON line with the replies or the
// error codes (ECONNREFUSED for a REJECT, TIMEOUT for a drop: nothing within 3 s, generous because a loaded
// 2-core machine can take over a second for the first IPv6 neighbour exchange).
const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const [host, port, proto, count, sport] = process.argv.slice(1);
const once = () => new Promise((resolve) => {
  const timer = setTimeout(() => { resolve('TIMEOUT'); try { s.destroy(); } catch {} try { u.close(); } catch {} }, 3000);
  let s, u;
  if (proto === 'udp') {
    u = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    u.on('message', (m) => { clearTimeout(timer); u.close(); resolve(m.toString().trim()); });
    u.on('error', (e) => { clearTimeout(timer); resolve(e.code); });
    const go = () => u.connect(Number(port), host, () => u.send('hi'));
    if (sport) u.bind(Number(sport), go); else go();
  } else {
    let data = '';
    s = net.connect(Number(port), host);
    s.on('data', (b) => { data += b; });
    s.on('end', () => { clearTimeout(timer); resolve(data.trim()); });
    s.on('error', (e) => { clearTimeout(timer); resolve(e.code); });
  }
});
(async () => { const out = []; for (let i = 0; i < Number(count); i++) out.push(await once()); console.log(JSON.stringify(out)); })();
`;

/**
 * Connects from `ns` to host:port `count` times; returns each reply ("ep1 10.244.3.2") or error
 * code. `sport` fixes the UDP source port (so datagrams share one conntrack entry).
 */
export async function connect(
  ns: Netns,
  host: string,
  port: number,
  proto: 'tcp' | 'udp' = 'tcp',
  count = 1,
  sport?: number,
): Promise<string[]> {
  const { stdout } = await ns.exec(
    [
      'node',
      '-e',
      CLIENT,
      host,
      String(port),
      proto,
      String(count),
      ...(sport ? [String(sport)] : []),
    ],
    { timeoutMs: 30_000 },
  );
  return JSON.parse(stdout) as string[];
}

/** Loads an `nft -f` transaction inside `ns`. */
export async function nft(ns: Netns, text: string): Promise<void> {
  await ns.exec(['nft', '-f', '-'], { input: text });
}

/**
 * Our table as `nft -j list table` reports it, comparable across namespaces and across full
 * replacements: handles dropped, elements and objects sorted.
 */
export async function tableListing(ns: Netns): Promise<string[]> {
  const { stdout } = await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'switchyard-proxy']);
  const items = (JSON.parse(stdout) as { nftables: Record<string, Record<string, unknown>>[] })
    .nftables;
  return items
    .filter((o) => !('metainfo' in o) && !('table' in o))
    .map((o) => {
      const [kind, body] = Object.entries(o)[0]!;
      const { handle: _h, elem, ...rest } = body as { handle?: number; elem?: unknown[] };
      const sorted = elem ? { elem: elem.map((e) => JSON.stringify(e)).sort() } : {};
      return JSON.stringify({ kind, ...rest, ...sorted });
    })
    .sort();
}

/**
 * A LoadBalancer ingress IP with `loadBalancerSourceRanges`, as every backend must handle it:
 * the outside namespace reaches an endpoint while its range is allowed (masqueraded: ep2 sees the
 * node's address on its link) and is dropped when not; the NodePort ignores the ranges (as
 * upstream). `apply` loads a model with the backend under test.
 */
export async function expectLbSourceRanges(
  topo: Topology,
  apply: (services: Service[], slices: EndpointSlice[]) => Promise<void>,
  clusterIP: string,
): Promise<void> {
  const lb = (ranges: string[]): Service =>
    service(
      'lb',
      {
        type: 'LoadBalancer',
        clusterIP,
        loadBalancerSourceRanges: ranges,
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      },
      { lbIngress: [{ ip: '198.51.100.1' }] },
    );
  const endpoints = [slice('lb', [ep(ADDR.ep2, { node: 'node-b' })])];
  await apply([lb(['172.31.0.0/24'])], endpoints);
  expect(await connect(topo.outside, '198.51.100.1', 80)).toEqual(['ep2 10.244.2.1']);
  await apply([lb(['10.0.0.0/8'])], endpoints);
  expect(await connect(topo.outside, '198.51.100.1', 80)).toEqual(['TIMEOUT']);
  expect(await connect(topo.outside, ADDR.nodeExternal, 30080)).toEqual(['ep2 10.244.2.1']);
}
