import { createHash } from 'node:crypto';
import type { Family } from './ip.js';

/**
 * Per-service chain and set names, stable across syncs: a hash of the service port identity plus
 * the readable identity itself, like kube-proxy (`service-ULMVA6XW-ns1/svc1/tcp/p80`). Both
 * families live in one `inet` table here, so the family takes part in the hash.
 */

// nft names are limited to 256 bytes; keep well below, as kube-proxy does.
const MAX_NAME = 240;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export type ServiceChainKind = 'service' | 'local' | 'external' | 'firewall';

/** `kind-HASH-namespace/name/protocol/portName`. */
export function serviceChainName(kind: ServiceChainKind, key: string, family: Family): string {
  return truncate(`${kind}-${hash8(`${family}/${key}`)}-${key}`);
}

/** `endpoint-HASH-namespace/name/protocol/portName__ip/port` (IPv6 colons become dots). */
export function endpointChainName(key: string, family: Family, ip: string, port: number): string {
  return truncate(
    `endpoint-${hash8(`${family}/${key}/${ip}/${port}`)}-${endpointSuffix(key, ip, port)}`,
  );
}

/** The per-endpoint ClientIP affinity set. */
export function affinitySetName(key: string, family: Family, ip: string, port: number): string {
  return truncate(
    `affinity-${hash8(`${family}/${key}/${ip}/${port}`)}-${endpointSuffix(key, ip, port)}`,
  );
}

/** True for the names above (the fixed chains never contain a slash). */
export function isServiceObjectName(name: string): boolean {
  return name.includes('/');
}

function endpointSuffix(key: string, ip: string, port: number): string {
  return `${key}__${ip.replaceAll(':', '.')}/${port}`;
}

function hash8(text: string): string {
  return hashBase32(text, 8);
}

/** The first `chars` base32 characters of the SHA-256 of `text` (at most 51). */
export function hashBase32(text: string, chars: number): string {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; out.length < chars;) {
    if (bits < 5) {
      acc = ((acc << 8) | digest[i++]!) & 0xffff;
      bits += 8;
    }
    out += BASE32[(acc >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

function truncate(name: string): string {
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 3)}...` : name;
}
