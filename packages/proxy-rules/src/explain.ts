import { TraceError } from './errors.js';
import { formatTrace } from './format-trace.js';
import { ipFamily } from './ip.js';
import type { Ruleset } from './ruleset.js';
import type { ServicePortInfo } from './service-ports.js';
import { type Packet, trace } from './trace.js';

export interface ExplainOptions {
  /** The client's address per family; service ports of a family without one are skipped. */
  source: { ipv4?: string; ipv6?: string };
  from: Packet['from'];
}

/**
 * Traces one packet to every address of a service (each ClusterIP, external IP, load-balancer IP
 * and, for NodePorts, the node's first address of each family) and formats the traces: what
 * `switchyard explain service` prints. Throws TraceError when the service is not proxied here.
 */
export function explainService(
  ruleset: Ruleset,
  servicePorts: readonly ServicePortInfo[],
  namespace: string,
  name: string,
  options: ExplainOptions,
): string {
  const ports = servicePorts.filter((sp) => sp.namespace === namespace && sp.name === name);
  if (ports.length === 0)
    throw new TraceError(`service ${namespace}/${name} is not proxied on this node`);
  const out: string[] = [];
  for (const sp of ports) {
    const source = options.source[sp.family];
    if (!source) continue;
    const targets: [string, number][] = [
      sp.clusterIP,
      ...sp.externalIPs,
      ...sp.loadBalancerIPs,
    ].map((ip) => [ip, sp.port]);
    const nodeIp = ruleset.localAddresses.find((ip) => ipFamily(ip) === sp.family);
    if (sp.nodePort !== undefined && nodeIp) targets.push([nodeIp, sp.nodePort]);
    for (const [destination, port] of targets) {
      out.push(
        formatTrace(
          trace(ruleset, { source, destination, port, protocol: sp.protocol, from: options.from }),
        ),
      );
    }
  }
  if (out.length === 0)
    throw new TraceError(`no source address given for the families of ${namespace}/${name}`);
  return out.join('\n');
}
