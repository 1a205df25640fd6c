import { isIPv4, isIPv6 } from 'node:net';
import { InvalidAddressError } from './errors.js';

export type IpFamily = 4 | 6;

/** Address families as the kernel numbers them (AF_INET, AF_INET6, AF_BRIDGE). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;

/** A prefix in CIDR form, split into its parts. `address` is kept as written (host bits allowed). */
export interface Cidr {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: IpFamily;
}

export function ipFamily(address: string): IpFamily {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  throw new InvalidAddressError(`not an IP address: ${JSON.stringify(address)}`, address);
}

export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** The address in network byte order (4 or 16 bytes). */
export function ipToBytes(address: string): Buffer {
  if (ipFamily(address) === 4) return Buffer.from(address.split('.').map(Number));
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipToBytes(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const hextets = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  const out = Buffer.alloc(16);
  hextets.forEach((h, i) => out.writeUInt16BE(parseInt(h, 16), i * 2));
  return out;
}

/** Formats 4 or 16 network-order bytes; IPv6 in the canonical compressed form (RFC 5952). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) {
    throw new InvalidAddressError(`an IP address has 4 or 16 bytes, got ${bytes.length}`, '');
  }
  const b = Buffer.from(bytes);
  const hextets = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
  // WHATWG URL parsing compresses the longest zero run exactly as RFC 5952 asks.
  return new URL(`http://[${hextets.join(':')}]/`).hostname.slice(1, -1);
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = ipFamily(address);
  const max = family === 4 ? 32 : 128;
  const lengthText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max)) {
    throw new InvalidAddressError(`invalid prefix length in ${JSON.stringify(text)}`, text);
  }
  return { address, prefixLength, family };
}

/** `10.244.1.7/24` -> `10.244.1.0/24`. */
export function networkOf(cidr: string | Cidr): Cidr {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const bytes = ipToBytes(c.address);
  for (let bit = c.prefixLength; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = bytes[bit >> 3]! & ~(0x80 >> (bit & 7));
  }
  return { address: bytesToIp(bytes), prefixLength: c.prefixLength, family: c.family };
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefixLength}`;
}

/** True when `address` lies inside `cidr` (same family, same network bits). */
export function cidrContains(cidr: string | Cidr, address: string): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (ipFamily(address) !== c.family) return false;
  const net = networkOf(c).address;
  return networkOf({ address, prefixLength: c.prefixLength, family: c.family }).address === net;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

export function macToBytes(mac: string): Buffer {
  if (!MAC.test(mac))
    throw new InvalidAddressError(`not a MAC address: ${JSON.stringify(mac)}`, mac);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function isMac(mac: string): boolean {
  return MAC.test(mac);
}
