import { isIPv4, isIPv6 } from 'node:net';

/** 16 bytes of an IPv6 address (accepts `::` and an embedded dotted IPv4 tail). */
export function ipv6Bytes(ip: string): Buffer {
  if (!isIPv6(ip)) throw new TypeError(`not an IPv6 address: ${ip}`);
  let text = ip.split('%')[0] ?? ip; // a zone index never reaches the wire
  const out = Buffer.alloc(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = ipv4Bytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
          ...tailGroups,
        ];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function ipv4Bytes(ip: string): Buffer {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const bytes = m ? [m[1], m[2], m[3], m[4]].map(Number) : [];
  if (bytes.length !== 4 || bytes.some((b) => b > 255))
    throw new TypeError(`not an IPv4 address: ${ip}`);
  return Buffer.from(bytes);
}

/** RFC 5952 text for 16 address bytes: lowercase, longest run of two or more zero groups as `::`. */
export function formatIPv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an IP (so "FD00:0::1" and "fd00::1" index alike), or undefined. */
export function canonicalIp(ip: string): string | undefined {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  if (isIPv6(ip)) return formatIPv6(ipv6Bytes(ip));
  return undefined;
}

export function ipFamily(ip: string): 4 | 6 | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}
