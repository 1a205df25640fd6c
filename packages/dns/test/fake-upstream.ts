import dnsPacket from 'dns-packet';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A plain upstream DNS server for tests, written with dns-packet (an independent codec):
 * example.com A 93.184.216.34; nx.example NXDOMAIN with an SOA; big.example truncated over UDP
 * and 50 A records over TCP; wrong.example answers another question; garbage.example answers junk; slow.example never
 * answers;
 * any other name A 192.0.2.1. Counts the queries it gets per name.
 */
export class FakeUpstream {
  readonly seen = new Map<string, number>();
  udpQueries = 0;
  tcpQueries = 0;
  private udp?: UdpSocket;
  private tcp?: Server;
  port = 0;

  /** Listens on one free port for UDP and TCP (retrying when TCP finds it taken). */
  async start(host = '127.0.0.1'): Promise<this> {
    for (;;) {
      const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg, rinfo) => {
        this.udpQueries++;
        const reply = this.answer(msg, 'udp');
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
      await new Promise<void>((r) => udp.bind(0, host, r));
      const port = udp.address().port;
      const tcp = createServer((s) => this.serveTcp(s));
      const listening = await new Promise<boolean>((r) => {
        tcp.once('error', () => r(false));
        tcp.listen(port, host, () => r(true));
      });
      if (!listening) {
        await new Promise<void>((r) => udp.close(() => r()));
        continue;
      }
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      return this;
    }
  }

  private serveTcp(s: Socket): void {
    let buf: Buffer = Buffer.alloc(0);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.tcpQueries++;
        const reply = this.answer(msg, 'tcp');
        if (reply) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          s.write(Buffer.concat([len, reply]));
        }
      }
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.udp?.close(() => r()));
    await new Promise<void>((r) => this.tcp?.close(() => r()));
  }

  private answer(msg: Buffer, proto: 'udp' | 'tcp'): Buffer | undefined {
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    if (!question) return undefined;
    const name = question.name.toLowerCase();
    this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
    const base = {
      id: q.id,
      type: 'response' as const,
      flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED,
      questions: [question],
    };
    switch (name) {
      case 'slow.example':
        return undefined;
      case 'garbage.example': // right ID, then bytes no decoder accepts
        return Buffer.concat([
          msg.subarray(0, 2),
          Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0xff]),
        ]);
      case 'example.com':
        return dnsPacket.encode({
          ...base,
          answers: [{ type: 'A', name, ttl: 60, data: '93.184.216.34' }],
        });
      case 'nx.example':
        return dnsPacket.encode({
          ...base,
          flags: base.flags | 3, // NXDOMAIN
          authorities: [
            {
              type: 'SOA',
              name: 'example',
              ttl: 30,
              data: {
                mname: 'ns.example',
                rname: 'admin.example',
                serial: 1,
                refresh: 1,
                retry: 1,
                expire: 1,
                minimum: 20,
              },
            },
          ],
        });
      case 'big.example':
        if (proto === 'udp')
          return dnsPacket.encode({ ...base, flags: base.flags | dnsPacket.TRUNCATED_RESPONSE });
        return dnsPacket.encode({
          ...base,
          answers: Array.from({ length: 50 }, (_, i) => ({
            type: 'A' as const,
            name,
            ttl: 60,
            data: `198.51.100.${i}`,
          })),
        });
      case 'wrong.example':
        return dnsPacket.encode({
          ...base,
          questions: [{ name: 'evil.example', type: 'A' }],
          answers: [{ type: 'A', name: 'evil.example', data: '6.6.6.6' }],
        });
      default:
        return dnsPacket.encode({
          ...base,
          answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }],
        });
    }
  }
}

/** A UDP port that receives and never answers: a dead upstream. */
export async function deadUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const s = createSocket('udp4');
  s.on('message', () => undefined);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}
