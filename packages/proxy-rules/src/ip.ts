import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type Family = 'ipv4' | 'ipv6';

/** The address family of `ip`, or undefined when it is not an IP address. */
export function ipFamily(ip: string): Family | undefined {
  if (isIPv4(ip)) return 'ipv4';
  if (isIPv6(ip)) return 'ipv6';
  return undefined;
}

/**
 * The canonical text form (RFC 5952 for IPv6: lower case, longest zero run compressed), so an
 * address given as `fd00:0::1` and one printed by nft as `fd00::1` compare equal.
 */
export function canonicalIp(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const groups = expandIpv6(ip).map((g) => g.toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function expandIpv6(ip: string): number[] {
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text =
      text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16));
}

/** A parsed CIDR; `text` is the canonical `address/prefix`. */
export interface Cidr {
  family: Family;
  address: string;
  prefix: number;
  text: string;
}

/** Parses `a.b.c.d/n` or `x::/n` (a bare address means a host route); undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText] = text.split('/');
  const family = ipFamily(address);
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  const network = maskHostBits(canonicalIp(address), family, prefix);
  return { family, address: network, prefix, text: `${network}/${prefix}` };
}

// nft rejects a prefix with host bits set (`10.0.0.1/8`); Kubernetes accepts it, so clear them.
function maskHostBits(address: string, family: Family, prefix: number): string {
  const bits = family === 'ipv4' ? 32 : 128;
  const groups = family === 'ipv4' ? address.split('.').map(Number) : expandIpv6(address);
  const width = family === 'ipv4' ? 8 : 16;
  let value = 0n;
  for (const g of groups) value = (value << BigInt(width)) | BigInt(g);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  value &= mask;
  const out: number[] = [];
  for (let i = 0; i < bits / width; i++) {
    out.unshift(Number(value & ((1n << BigInt(width)) - 1n)));
    value >>= BigInt(width);
  }
  return family === 'ipv4' ? out.join('.') : canonicalIp(out.map((g) => g.toString(16)).join(':'));
}

/** True when `ip` lies inside one of `cidrs`. */
export function ipInCidrs(ip: string, cidrs: readonly Cidr[]): boolean {
  const family = ipFamily(ip);
  if (!family) return false;
  const list = new BlockList();
  for (const c of cidrs) if (c.family === family) list.addSubnet(c.address, c.prefix, c.family);
  return list.check(ip, family);
}
