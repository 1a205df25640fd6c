import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { ipFamily } from './ip.js';
import type { Upstream } from './resolv-conf.js';

/** An upstream did not answer in time, refused the connection, or sent nothing usable. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly upstream: Upstream,
    message: string,
  ) {
    super(`${upstreamLabel(upstream)}: ${message}`);
  }
}

export function upstreamLabel(u: Upstream): string {
  return ipFamily(u.host) === 6 ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/**
 * Sends one query over UDP from a fresh socket (a new random source port each time, so a spoofer
 * must guess port and ID) and resolves with the first reply carrying the query's ID. The socket
 * is connected, so the kernel drops datagrams from any other address.
 */
export function exchangeUdp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(ipFamily(u.host) === 6 ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed by an earlier failure: nothing left to release
      }
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(
      () => finish(new UpstreamError(u, `no UDP reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (e) => finish(new UpstreamError(u, e.message)));
    socket.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) finish(undefined, msg);
    });
    socket.connect(u.port, u.host, () => {
      if (done) return; // timed out before the socket was ready
      try {
        socket.send(query, (e) => {
          if (e) finish(new UpstreamError(u, e.message));
        });
      } catch (e) {
        finish(new UpstreamError(u, String(e)));
      }
    });
  });
}

/** Sends one query over TCP (2-byte length framing) and resolves with the reply to its ID. */
export function exchangeTcp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const id = query.readUInt16BE(0);
    const socket = connect({ host: u.host, port: u.port });
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(
      () => finish(new UpstreamError(u, `no TCP reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (e) => finish(new UpstreamError(u, e.message)));
    socket.on('close', () => finish(new UpstreamError(u, 'connection closed before a reply')));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const n = buffered.readUInt16BE(0);
        if (buffered.length < 2 + n) return;
        const msg = buffered.subarray(2, 2 + n);
        buffered = buffered.subarray(2 + n);
        if (msg.length >= 12 && msg.readUInt16BE(0) === id)
          return finish(undefined, Buffer.from(msg));
      }
    });
  });
}
