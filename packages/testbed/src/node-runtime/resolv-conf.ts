import type { V1Pod } from '@kubernetes/client-node';

export interface DnsContext {
  clusterDNS: string;
  clusterDomain: string;
  /** The node's own resolv.conf text (for dnsPolicy Default). */
  hostResolvConf: string;
}

/**
 * The resolv.conf kubelet would give the pod, or undefined when the pod should see the node's
 * file unchanged. ClusterFirst: the cluster DNS, `<ns>.svc.<zone> svc.<zone> <zone>` search and
 * ndots:5; Default: the node's; None: only `dnsConfig`. `dnsConfig` is merged on top of each.
 */
export function renderResolvConf(pod: V1Pod, ctx: DnsContext): string | undefined {
  const spec = pod.spec;
  let policy = spec?.dnsPolicy ?? 'ClusterFirst';
  // A hostNetwork pod with ClusterFirst falls back to Default, as in kubelet.
  if (spec?.hostNetwork && policy === 'ClusterFirst') policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options: { name: string; value?: string }[] = [];
  if (policy === 'ClusterFirst') {
    const ns = pod.metadata?.namespace ?? 'default';
    const zone = ctx.clusterDomain;
    nameservers = [ctx.clusterDNS];
    searches = [`${ns}.svc.${zone}`, `svc.${zone}`, zone, ...hostSearches(ctx.hostResolvConf)];
    options = [{ name: 'ndots', value: '5' }];
  } else if (policy === 'Default') {
    if (!spec?.dnsConfig) return undefined;
    for (const line of ctx.hostResolvConf.split('\n')) {
      const [key, ...rest] = line.trim().split(/\s+/);
      if (key === 'nameserver' && rest[0]) nameservers.push(rest[0]);
      if (key === 'search') searches = rest;
    }
  }
  const cfg = spec?.dnsConfig;
  nameservers = unique([...nameservers, ...(cfg?.nameservers ?? [])]).slice(0, 3);
  searches = unique([...searches, ...(cfg?.searches ?? [])]).slice(0, 32);
  for (const o of cfg?.options ?? []) {
    if (!o.name) continue;
    options = options.filter((x) => x.name !== o.name);
    options.push(o.value === undefined ? { name: o.name } : { name: o.name, value: o.value });
  }
  const lines = nameservers.map((n) => `nameserver ${n}`);
  if (searches.length) lines.push(`search ${searches.join(' ')}`);
  if (options.length) {
    lines.push(
      `options ${options.map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`)).join(' ')}`,
    );
  }
  return lines.join('\n') + '\n';
}

function hostSearches(resolvConf: string): string[] {
  for (const line of resolvConf.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'search') return rest.filter((s) => s !== '.');
  }
  return [];
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/**
 * The pod's /etc/hosts, as kubelet manages it: the pod's hostname (`spec.hostname`, else its
 * name), fully qualified first when it has a `spec.subdomain`, plus `spec.hostAliases`.
 */
export function renderHosts(pod: V1Pod, podIP: string | undefined, clusterDomain: string): string {
  const lines = [
    '# Kubernetes-managed hosts file (switchyard testbed).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
  ];
  const hostname = pod.spec?.hostname || pod.metadata?.name || '';
  const subdomain = pod.spec?.subdomain;
  if (podIP) {
    const fqdn = subdomain
      ? `${hostname}.${subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}\t`
      : '';
    lines.push(`${podIP}\t${fqdn}${hostname}`);
  }
  for (const alias of pod.spec?.hostAliases ?? []) {
    if (alias.ip && alias.hostnames?.length)
      lines.push(`${alias.ip}\t${alias.hostnames.join('\t')}`);
  }
  return lines.join('\n') + '\n';
}
