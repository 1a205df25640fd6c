#!/usr/bin/env node
import { startDirectoryDns } from './directory-dns.js';
import { ZONE, endpointSlices, services } from './directory.js';

const port = Number(process.argv[2] ?? 5353);
const dns = await startDirectoryDns({ zone: ZONE, services, endpointSlices, port });
console.log(`answering ${ZONE} on ${dns.host}:${dns.port} (UDP and TCP); try:`);
console.log(`  dig @${dns.host} -p ${dns.port} cart.shop.svc.${ZONE}`);
console.log(`  dig @${dns.host} -p ${dns.port} +tcp _pg._tcp.db.shop.svc.${ZONE} SRV`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void dns.close());
}
