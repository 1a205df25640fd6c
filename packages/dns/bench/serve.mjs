// The server under test for qps.mjs: a zone shaped like a mid-size cluster, served on 127.0.0.1.
// Prints {"port": N} once listening. Run through qps.mjs, which pins it to one core.
import { QueryHandler, Resolver, Zone, createMetrics, startDnsServer } from '../dist/index.js';

export const SERVICES = 1000;
export const HEADLESS = 100;
export const NAMESPACES = 50;

const zone = new Zone();
for (let i = 0; i < SERVICES; i++) {
  zone.upsertService({
    metadata: { namespace: `ns-${i % NAMESPACES}`, name: `svc-${i}` },
    spec: {
      clusterIPs: [`10.96.${i >> 8}.${i & 255}`],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    },
  });
}
for (let i = 0; i < HEADLESS; i++) {
  const ns = `ns-${i % NAMESPACES}`;
  zone.upsertService({ metadata: { namespace: ns, name: `hl-${i}` }, spec: { clusterIP: 'None' } });
  zone.upsertEndpointSlice({
    metadata: {
      namespace: ns,
      name: `hl-${i}-x`,
      labels: { 'kubernetes.io/service-name': `hl-${i}` },
    },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 5 }, (_, j) => ({ addresses: [`10.244.${i}.${j + 1}`] })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
}
zone.markSynced();

const metrics = createMetrics();
const handler = new QueryHandler({ resolver: new Resolver(zone, { ttl: 30 }), metrics });
const server = await startDnsServer({
  handler,
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
});
// On SIGUSR2, report CPU time used and queries answered so far: the caller takes the difference
// over the run, which gives CPU per query however busy the machine is.
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  const answered = metrics.responses.entries().reduce((n, e) => n + e.value, 0);
  process.stdout.write(`${JSON.stringify({ cpuUs: user + system, answered })}\n`);
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
// Only now: the caller signals as soon as it reads the port, and an unhandled SIGUSR2 kills.
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
