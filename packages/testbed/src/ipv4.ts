import { TestbedOptionError } from './errors.js';

/** An IPv4 prefix, host bits zero. */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (const part of m.slice(1)) {
    const octet = Number(part);
    if (octet > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/nn`; `option` names the setting in the error. Host bits must be zero. */
export function parseIpv4Cidr(text: string, option: string): Ipv4Cidr {
  const [addr, len, extra] = text.split('/');
  const network = addr === undefined ? undefined : parseIpv4(addr);
  const prefix = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (network === undefined || extra !== undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new TestbedOptionError(option, `${JSON.stringify(text)} is not an IPv4 CIDR`);
  }
  const size = 2 ** (32 - prefix);
  if (network % size !== 0) {
    throw new TestbedOptionError(option, `${text} has host bits set`);
  }
  return { network, prefix };
}

/** True when the address lies inside the prefix. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  const size = 2 ** (32 - cidr.prefix);
  return address >= cidr.network && address < cidr.network + size;
}

/** True when two prefixes share any address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}
