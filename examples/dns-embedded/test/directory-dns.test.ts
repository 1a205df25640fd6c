import { Resolver as NodeResolver } from 'node:dns/promises';
import { connect } from 'node:net';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DirectoryDns, startDirectoryDns } from '../src/directory-dns.js';
import { ZONE, endpointSlices, services } from '../src/directory.js';

// Queries come from independent clients: Node's c-ares resolver over UDP, and dns-packet over
// TCP, so the answers are checked by code that shares nothing with @switchyard/dns.

let dns: DirectoryDns;
let udp: NodeResolver;

beforeAll(async () => {
  dns = await startDirectoryDns({ zone: ZONE, services, endpointSlices, port: 0 });
  udp = new NodeResolver({ timeout: 2000, tries: 2 });
  udp.setServers([`${dns.host}:${dns.port}`]);
});
afterAll(async () => {
  await dns.close();
});

/** dns-packet decodes `rcode` ('NOERROR', 'NXDOMAIN', ...) but its types leave it out. */
type Reply = packet.DecodedPacket & { rcode?: string };

/** Sends the questions over one TCP connection (pipelined) and returns the replies by id. */
function queryTcp(questions: packet.Question[]): Promise<Map<number, Reply>> {
  return new Promise((resolve, reject) => {
    const replies = new Map<number, Reply>();
    let buffered = Buffer.alloc(0);
    const socket = connect(dns.port, dns.host, () => {
      questions.forEach((q, i) => {
        socket.write(
          packet.streamEncode({
            type: 'query',
            id: i + 1,
            flags: packet.RECURSION_DESIRED,
            questions: [q],
          }),
        );
      });
    });
    socket.setTimeout(3000, () => socket.destroy(new Error('TCP query timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each reply is a 2-byte length, then the message.
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const size = 2 + buffered.readUInt16BE(0);
        const reply: Reply = packet.decode(buffered.subarray(2, size));
        buffered = buffered.subarray(size);
        replies.set(reply.id ?? 0, reply);
      }
      if (replies.size === questions.length) {
        socket.end();
        resolve(replies);
      }
    });
  });
}

describe('an embedded DNS server for a made-up zone, over UDP', () => {
  it('answers a ClusterIP service with its address', async () => {
    expect(await udp.resolve4(`cart.shop.svc.${ZONE}`)).toEqual(['10.50.0.10']);
  });

  it('answers SRV per named port', async () => {
    expect(await udp.resolveSrv(`_metrics._tcp.cart.shop.svc.${ZONE}`)).toEqual([
      { name: `cart.shop.svc.${ZONE}`, port: 9090, priority: 0, weight: 100 },
    ]);
  });

  it('answers a headless service with its ready endpoints, and each endpoint by hostname', async () => {
    expect((await udp.resolve4(`db.shop.svc.${ZONE}`)).sort()).toEqual(['10.60.1.4', '10.60.2.4']);
    expect(await udp.resolve4(`db-1.db.shop.svc.${ZONE}`)).toEqual(['10.60.2.4']);
    // db-2 is not ready: the name does not exist.
    await expect(udp.resolve4(`db-2.db.shop.svc.${ZONE}`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('follows an ExternalName inside the zone', async () => {
    expect(await udp.resolveCname(`basket.shop.svc.${ZONE}`)).toEqual([`cart.shop.svc.${ZONE}`]);
    expect(await udp.resolve4(`basket.shop.svc.${ZONE}`)).toEqual(['10.50.0.10']);
  });

  it('answers reverse lookups of the addresses it knows', async () => {
    expect(await udp.reverse('10.50.0.10')).toEqual([`cart.shop.svc.${ZONE}`]);
  });

  it('says NXDOMAIN for unknown names and REFUSED outside its zone (it has no upstream)', async () => {
    await expect(udp.resolve4(`nope.shop.svc.${ZONE}`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(udp.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('serves changes to the zone from the next query on', async () => {
    const svc = {
      metadata: { namespace: 'shop', name: 'search' },
      spec: { clusterIPs: ['10.50.0.99'] },
    };
    await expect(udp.resolve4(`search.shop.svc.${ZONE}`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    dns.zone.upsertService(svc);
    expect(await udp.resolve4(`search.shop.svc.${ZONE}`)).toEqual(['10.50.0.99']);
    dns.zone.deleteService(svc);
    await expect(udp.resolve4(`search.shop.svc.${ZONE}`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });
});

describe('the same server over TCP', () => {
  it('answers pipelined queries on one connection', async () => {
    const replies = await queryTcp([
      { type: 'A', name: `cart.shop.svc.${ZONE}` },
      { type: 'SRV', name: `_pg._tcp.db.shop.svc.${ZONE}` },
      { type: 'A', name: `nope.shop.svc.${ZONE}` },
    ]);
    const a = replies.get(1);
    expect(a?.rcode).toBe('NOERROR');
    expect(a?.answers).toEqual([
      expect.objectContaining({ type: 'A', data: '10.50.0.10', ttl: 30 }),
    ]);

    const srv = replies.get(2);
    const targets = (srv?.answers ?? []).map((r) =>
      r.type === 'SRV' ? `${r.data.target}:${r.data.port}` : r.type,
    );
    expect(targets.sort()).toEqual([
      `db-0.db.shop.svc.${ZONE}:5432`,
      `db-1.db.shop.svc.${ZONE}:5432`,
    ]);
    // The targets' addresses ride along in the additional section.
    const additional = (srv?.additionals ?? []).flatMap((r) => (r.type === 'A' ? [r.data] : []));
    expect(additional.sort()).toEqual(['10.60.1.4', '10.60.2.4']);

    expect(replies.get(3)?.rcode).toBe('NXDOMAIN');
  });
});
