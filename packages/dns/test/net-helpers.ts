import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Forwarder, type ForwarderOptions } from '../src/forwarder.js';
import { QueryHandler } from '../src/handler.js';
import { emptyFlags, type Edns, type Message } from '../src/message.js';
import { createMetrics, type DnsMetrics } from '../src/metrics.js';
import { Resolver, type ResolverOptions } from '../src/resolver.js';
import { startDnsServer, type DnsServer } from '../src/server.js';
import type { TcpServerOptions } from '../src/tcp-server.js';
import { decodeMessage } from '../src/wire-decode.js';
import { encodeMessage } from '../src/wire-encode.js';
import type { Zone } from '../src/zone.js';

const execFileP = promisify(execFile);

export interface TestServer {
  server: DnsServer;
  metrics: DnsMetrics;
  forwarder?: Forwarder;
  close(): Promise<void>;
}

export async function startTestServer(
  zone: Zone,
  opts: {
    resolver?: ResolverOptions;
    forwarder?: Omit<ForwarderOptions, 'metrics'>;
    tcp?: Pick<TcpServerOptions, 'idleTimeoutMs' | 'maxPipelined'>;
  } = {},
): Promise<TestServer> {
  const metrics = createMetrics();
  const forwarder = opts.forwarder ? new Forwarder({ ...opts.forwarder, metrics }) : undefined;
  const handler = new QueryHandler({
    resolver: new Resolver(zone, opts.resolver),
    forwarder,
    metrics,
  });
  const server = await startDnsServer({ handler, host: '127.0.0.1', port: 0, tcp: opts.tcp });
  return { server, metrics, forwarder, close: () => server.close() };
}

/** Runs dig against 127.0.0.1:port; returns its stdout. */
export function dig(port: number, ...args: string[]): Promise<string> {
  return digAt('127.0.0.1', port, ...args);
}

export async function digAt(host: string, port: number, ...args: string[]): Promise<string> {
  const argv = [`@${host}`, '-p', String(port), '+time=2', '+tries=1', ...args];
  return (await execFileP('dig', argv)).stdout;
}

export function query(name: string, type: number, edns?: Partial<Edns>, id = 4242): Buffer {
  const msg: Message = {
    id,
    flags: { ...emptyFlags(), rd: true },
    rcode: 0,
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (edns)
    msg.edns = {
      udpSize: 1232,
      version: 0,
      dnssecOk: false,
      extendedRcode: 0,
      options: [],
      ...edns,
    };
  return encodeMessage(msg);
}

/** Sends raw bytes over UDP and resolves with the first reply (or undefined after timeoutMs). */
export function udpRaw(port: number, bytes: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(bytes, port, '127.0.0.1');
  });
}

export async function udpAsk(port: number, bytes: Buffer, timeoutMs = 1000): Promise<Message> {
  const reply = await udpRaw(port, bytes, timeoutMs);
  if (!reply) throw new Error('no UDP reply');
  return decodeMessage(reply);
}

/** Writes `frames` (already length-prefixed or not, see `raw`) on one TCP connection; collects `expect` replies. */
export function tcpExchange(
  port: number,
  messages: Buffer[],
  expected: number,
  timeoutMs = 2000,
): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const out: Message[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`only ${out.length}/${expected} TCP replies`));
    }, timeoutMs);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= expected) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(Buffer.concat(messages.map(frame)));
  });
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}
