import { DnsEncodeError } from './errors.js';
import { canonicalIp, formatIPv6, ipFamily, ipv6Bytes } from './ip.js';

export const MAX_LABEL = 63;
export const MAX_NAME_WIRE = 255;

/** Lowercase (ASCII only, as DNS compares names) and drop a trailing dot. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/** Presentation text of one wire label: `.`, `\` and non-printable bytes escaped. */
export function labelText(buf: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c <= 0x20 || c >= 0x7f) out += `\\${c.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/**
 * Splits a presentation name into wire labels, undoing the escapes labelText writes.
 * Throws DnsEncodeError for an empty inner label, a label over 63 bytes or a name over 255.
 */
export function nameLabels(name: string): Buffer[] {
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '') return [];
  const labels: Buffer[] = [];
  let bytes: number[] = [];
  let wire = 1;
  const finish = (): void => {
    if (bytes.length === 0) throw new DnsEncodeError('empty label', name);
    if (bytes.length > MAX_LABEL) throw new DnsEncodeError('label longer than 63 bytes', name);
    labels.push(Buffer.from(bytes));
    wire += bytes.length + 1;
    bytes = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2e) {
      finish();
    } else if (ch === 0x5c) {
      const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
      if (digits) {
        const v = Number(digits[0]);
        if (v > 255) throw new DnsEncodeError('bad \\DDD escape', name);
        bytes.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        bytes.push(text.charCodeAt(++i) & 0xff);
      } else {
        throw new DnsEncodeError('dangling backslash', name);
      }
    } else if (ch > 0x7f) {
      for (const b of Buffer.from(text[i] ?? '')) bytes.push(b);
    } else {
      bytes.push(ch);
    }
  }
  finish();
  if (wire > MAX_NAME_WIRE) throw new DnsEncodeError('name longer than 255 bytes', name);
  return labels;
}

/** True when `name` is `zone` or below it (both canonical). */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * The address a reverse name stands for ("4.3.2.1.in-addr.arpa" -> "1.2.3.4"), or undefined
 * when the name is not a complete reverse name. Input must be canonical.
 */
export function reverseNameToIp(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return undefined;
    return canonicalIp(parts.reverse().join('.'));
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    return formatIPv6(Buffer.from(nibbles.reverse().join(''), 'hex'));
  }
  return undefined;
}

/** The PTR owner name of an address: in-addr.arpa for IPv4, full nibble form for IPv6. */
export function ipToReverseName(ip: string): string {
  if (ipFamily(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const hex = ipv6Bytes(ip).toString('hex');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}

/** The label CoreDNS derives from an address: dots (IPv4) or colons (IPv6) become dashes. */
export function ipToDashedLabel(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** The address a pod-style label stands for ("10-1-2-3", "fd00--1"), or undefined. */
export function dashedLabelToIp(label: string): string | undefined {
  if (/^\d+-\d+-\d+-\d+$/.test(label)) return canonicalIp(label.replace(/-/g, '.'));
  if (label.includes('-') && /^[0-9a-f-]+$/.test(label))
    return canonicalIp(label.replace(/-/g, ':'));
  return undefined;
}
