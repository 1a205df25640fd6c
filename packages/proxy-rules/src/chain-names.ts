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

/**
 * `chars` base32 characters of a 64-bit FNV-1a hash of `text` (a second pass with another offset
 * extends it past 12 characters). Not cryptographic: names only need to be stable and distinct,
 * and this runs for every chain of every sync, where a SHA-256 per name dominated the profile.
 */
export function hashBase32(text: string, chars: number): string {
  let out = '';
  for (let round = 0; out.length < chars; round++) {
    // Two 32-bit lanes of FNV-1a, seeded differently per round.
    let h1 = 0x811c9dc5 ^ round;
    let h2 = 0x01000193 ^ (round * 0x9e3779b9);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ (h2 >>> 15), 0x85ebca6b) >>> 0;
    h2 = Math.imul(h2 ^ (h1 >>> 13), 0xc2b2ae35) >>> 0;
    // 12 characters = 60 bits from the two lanes.
    for (let i = 0; i < 6 && out.length < chars; i++) out += BASE32[(h1 >>> (i * 5)) & 31];
    for (let i = 0; i < 6 && out.length < chars; i++) out += BASE32[(h2 >>> (i * 5)) & 31];
  }
  return out;
}

function truncate(name: string): string {
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 3)}...` : name;
}
