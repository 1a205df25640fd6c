import { readFileSync } from 'node:fs';
import { StoreError } from './errors.js';

/** The DNS part of a CNI result. */
export interface DnsConfig {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/**
 * Reads a resolv.conf into a CNI `dns` object, as host-local's `resolvConf` option does:
 * `nameserver` (one address per line), `domain` (the last one wins), `search` and `options`
 * (words accumulate); comments (`#`, `;`) and other keywords are ignored.
 */
export function parseResolvConf(text: string): DnsConfig {
  const dns: DnsConfig = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword, ...words] = line.split(/\s+/);
    if (words.length === 0) continue;
    if (keyword === 'nameserver') (dns.nameservers ??= []).push(words[0]!);
    else if (keyword === 'domain') dns.domain = words[0]!;
    else if (keyword === 'search') (dns.search ??= []).push(...words);
    else if (keyword === 'options') (dns.options ??= []).push(...words);
  }
  return dns;
}

/** Reads and parses a resolv.conf file; StoreError (CNI code 5) when it cannot be read. */
export function readResolvConf(path: string): DnsConfig {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new StoreError(`cannot read resolv.conf: ${(e as Error).message}`, path, { cause: e });
  }
}
