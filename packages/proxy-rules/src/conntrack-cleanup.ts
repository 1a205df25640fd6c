import { type ServicePortInfo, servicePortKey } from './service-ports.js';

/**
 * `conntrack -D` invocations that must follow a sync so UDP clients are not blackholed
 * (kubernetes#19029): UDP has no connection end, so a conntrack entry keeps sending a client's
 * datagrams to an endpoint that is gone, or (made while the service had no endpoint) keeps them
 * away from the new ones. Returned as argv lists for the caller to run in the node's namespace;
 * `conntrack -D` exits 1 when nothing matched, which is not an error here.
 */
export function conntrackCleanup(
  prev: readonly ServicePortInfo[],
  next: readonly ServicePortInfo[],
): string[][] {
  const before = new Map(prev.filter(isUdp).map((sp) => [id(sp), sp]));
  const out: string[][] = [];
  for (const sp of next.filter(isUdp)) {
    const old = before.get(id(sp));
    const servingNow = new Set(sp.endpoints.filter(usable).map((e) => e.ip));
    const servingBefore = new Set((old?.endpoints ?? []).filter(usable).map((e) => e.ip));
    const base = ['conntrack', '-D', '-f', sp.family, '-p', 'udp'];
    const addresses = [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerIPs];
    if (servingBefore.size === 0 && servingNow.size > 0) {
      // Entries made while the service rejected everything: forget them all.
      for (const ip of addresses)
        out.push([...base, '--orig-dst', ip, '--orig-port-dst', String(sp.port)]);
      if (sp.nodePort !== undefined) out.push([...base, '--orig-port-dst', String(sp.nodePort)]);
      continue;
    }
    for (const gone of [...servingBefore].filter((ip) => !servingNow.has(ip))) {
      for (const ip of addresses) {
        out.push([
          ...base,
          '--orig-dst',
          ip,
          '--orig-port-dst',
          String(sp.port),
          '--reply-src',
          gone,
        ]);
      }
      if (sp.nodePort !== undefined) {
        out.push([...base, '--orig-port-dst', String(sp.nodePort), '--reply-src', gone]);
      }
    }
  }
  return out;
}

const isUdp = (sp: ServicePortInfo): boolean => sp.protocol === 'udp';
const id = (sp: ServicePortInfo): string => `${sp.family}/${servicePortKey(sp)}`;
const usable = (e: ServicePortInfo['endpoints'][number]): boolean =>
  e.ready || (e.serving && e.terminating);
