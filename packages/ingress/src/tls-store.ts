import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext, type Server as TlsServer } from 'node:tls';
import { TlsConfigError } from './errors.js';
import { parseHostPattern } from './host.js';

export interface CertificatePair {
  /** PEM certificate chain (`tls.crt` of a kubernetes.io/tls Secret). */
  cert: string;
  /** PEM private key (`tls.key`). */
  key: string;
}

interface Entry {
  context: SecureContext;
  names: string[];
}

/** DNS names a certificate covers: its subjectAltName DNS entries, else the subject CN. */
function certificateNames(x: X509Certificate): string[] {
  const san = x.subjectAltName;
  if (san) {
    return san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject);
  return cn?.[1] ? [cn[1].toLowerCase()] : [];
}

function validate(pair: CertificatePair, hosts: readonly string[] | undefined): Entry {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pair.cert);
    if (!x509.checkPrivateKey(createPrivateKey(pair.key)))
      throw new Error('key does not match certificate');
  } catch (e) {
    throw new TlsConfigError((e as Error).message, hosts ?? []);
  }
  const names = (hosts ?? certificateNames(x509)).map((h) => h.toLowerCase());
  if (Date.parse(x509.validTo) < Date.now())
    throw new TlsConfigError(`certificate expired ${x509.validTo}`, names);
  try {
    for (const n of names) parseHostPattern(n, false, 'tls');
    return { context: createSecureContext({ cert: pair.cert, key: pair.key }), names };
  } catch (e) {
    throw new TlsConfigError((e as Error).message, names);
  }
}

/**
 * Certificates by hostname for SNI. A wildcard `*.foo.com` covers exactly one label, as in TLS
 * (RFC 6125). An exact name wins over a wildcard; a handshake without SNI or for an unknown name
 * gets the default certificate, if one is set (else the handshake fails).
 */
export class TlsStore {
  private readonly exact = new Map<string, Entry>();
  private readonly wildcard = new Map<string, Entry>();
  private fallback: (Entry & { pair: CertificatePair }) | undefined;
  private readonly servers = new Set<TlsServer>();

  /**
   * Validates and adds a pair for `hosts` (default: the names in the certificate). Throws
   * TlsConfigError — leaving the store unchanged — for bad PEM, a key that does not fit the
   * certificate, an expired certificate or an invalid hostname.
   */
  set(pair: CertificatePair, hosts?: readonly string[]): string[] {
    const entry = validate(pair, hosts);
    for (const n of entry.names) {
      if (n.startsWith('*.')) this.wildcard.set(n.slice(2), entry);
      else this.exact.set(n, entry);
    }
    return entry.names;
  }

  /** Certificate for handshakes without a (known) server name. */
  setDefault(pair: CertificatePair): void {
    this.fallback = { ...validate(pair, []), pair };
    for (const server of this.servers) server.setSecureContext(pair);
  }

  /**
   * Serves the default certificate on a server for handshakes without SNI (SNICallback only runs
   * when the client names a server); later setDefault calls update it.
   */
  attach(server: TlsServer): void {
    this.servers.add(server);
    server.on('close', () => this.servers.delete(server));
    if (this.fallback) server.setSecureContext(this.fallback.pair);
  }

  delete(host: string): boolean {
    const h = host.toLowerCase();
    return h.startsWith('*.') ? this.wildcard.delete(h.slice(2)) : this.exact.delete(h);
  }

  hosts(): string[] {
    return [...this.exact.keys(), ...[...this.wildcard.keys()].map((s) => `*.${s}`)].sort();
  }

  /** The context for a server name (SNI), falling back to the default. */
  lookup(servername: string | undefined): SecureContext | undefined {
    if (servername) {
      const host = servername.toLowerCase().replace(/\.$/, '');
      const exact = this.exact.get(host);
      if (exact) return exact.context;
      // A TLS wildcard covers exactly one label (RFC 6125): only the first label is replaced.
      const dot = host.indexOf('.');
      const wild = dot > 0 ? this.wildcard.get(host.slice(dot + 1)) : undefined;
      if (wild) return wild.context;
    }
    return this.fallback?.context;
  }

  /** For `tls.createServer({ SNICallback })`. */
  readonly sniCallback = (
    servername: string,
    cb: (err: Error | null, ctx?: SecureContext) => void,
  ): void => {
    const ctx = this.lookup(servername);
    if (ctx) cb(null, ctx);
    else cb(new TlsConfigError('no certificate for this server name', [servername]));
  };
}
