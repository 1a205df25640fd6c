import { DnsConfigError, DnsEncodeError } from './errors.js';
import { canonicalIp } from './ip.js';
import { canonicalName, nameLabels } from './names.js';

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface ResolverOptions {
  /** Cluster domain; default "cluster.local". */
  zone?: string;
  /** TTL of every cluster answer and the SOA minimum; default 5 s (CoreDNS), kubeadm uses 30. */
  ttl?: number;
  /** `a-b-c-d.<ns>.pod.<zone>` records: CoreDNS's `pods` option; default "insecure". */
  podMode?: PodMode;
  /** Reverse zones answered from Service and endpoint addresses; misses fall through upstream. */
  reverseZones?: string[];
  /** Addresses of this DNS server, published as `ns.dns.<zone>` (the apex NS target). */
  nameserverIps?: string[];
}

/** Options with defaults filled in, names canonical, addresses canonical. */
export type NormalizedResolverOptions = Required<ResolverOptions>;

/** Applies defaults and checks every option; throws DnsConfigError naming the bad one. */
export function normalizeResolverOptions(options: ResolverOptions): NormalizedResolverOptions {
  const ttl = options.ttl ?? 5;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff)
    throw new DnsConfigError('ttl', `must be a whole number of seconds, got ${ttl}`);
  const podMode = options.podMode ?? 'insecure';
  if (!['disabled', 'insecure', 'verified'].includes(podMode))
    throw new DnsConfigError('podMode', `must be disabled, insecure or verified, got ${podMode}`);
  return {
    zone: zoneOption('zone', options.zone ?? 'cluster.local'),
    ttl,
    podMode,
    reverseZones: (options.reverseZones ?? ['in-addr.arpa', 'ip6.arpa']).map((z) =>
      zoneOption('reverseZones', z),
    ),
    nameserverIps: (options.nameserverIps ?? []).map((ip) => {
      const c = canonicalIp(ip);
      if (!c) throw new DnsConfigError('nameserverIps', `not an IP address: ${ip}`);
      return c;
    }),
  };
}

/** A zone name option: canonical, non-empty, and encodable. */
function zoneOption(option: string, name: string): string {
  const zone = canonicalName(name);
  try {
    if (nameLabels(zone).length === 0)
      throw new DnsConfigError(option, 'the root zone cannot be served');
  } catch (e) {
    if (e instanceof DnsEncodeError) throw new DnsConfigError(option, e.message);
    throw e;
  }
  return zone;
}
