import {
  QueryHandler,
  Resolver,
  Zone,
  startDnsServer,
  type EndpointSliceLike,
  type ServiceLike,
} from '@switchyard/dns';

export interface DirectoryDnsOptions {
  zone: string;
  services: readonly ServiceLike[];
  endpointSlices: readonly EndpointSliceLike[];
  host?: string;
  /** UDP and TCP port; 0 picks a free one. */
  port: number;
  ttl?: number;
}

export interface DirectoryDns {
  readonly host: string;
  readonly port: number;
  /** The live zone: upserts and deletes are answered from the next query on. */
  readonly zone: Zone;
  close(): Promise<void>;
}

/**
 * A DNS server for one made-up cluster zone: the library's Zone holds the objects, its Resolver
 * answers the Kubernetes DNS records, and QueryHandler does the wire work behind UDP and TCP
 * listeners. There is no forwarder, so names outside the zone are REFUSED.
 */
export async function startDirectoryDns(options: DirectoryDnsOptions): Promise<DirectoryDns> {
  const zone = new Zone();
  for (const svc of options.services) zone.upsertService(svc);
  for (const slice of options.endpointSlices) zone.upsertEndpointSlice(slice);
  // A cluster DNS answers SERVFAIL until it has seen everything; here everything is in already.
  zone.markSynced();
  const resolver = new Resolver(zone, { zone: options.zone, ttl: options.ttl ?? 30 });
  const server = await startDnsServer({
    handler: new QueryHandler({ resolver }),
    host: options.host ?? '127.0.0.1',
    port: options.port,
  });
  return { host: server.host, port: server.port, zone, close: () => server.close() };
}
