import type { RequestOptions } from 'node:https';
import type { KubeCredentials } from './kube-credentials.js';
import type { RefreshingFile } from './refreshing-file.js';

/** Inline bytes (a kubeconfig's `*-data`) or a file read again when it changes. */
export type Material = Buffer | RefreshingFile;

export interface CertTokenOptions {
  /** `https://host:port` (or `http://`), without a trailing slash. */
  server: string;
  /** CA bundle to trust; the system's when absent. */
  ca?: Material;
  /** Client certificate and key, both or neither. */
  cert?: Material;
  key?: Material;
  /** Bearer token: a string, or a file whose trimmed content is the token. */
  token?: string | RefreshingFile;
  /** `insecure-skip-tls-verify`: the server's certificate is not checked. */
  insecureSkipTlsVerify?: boolean;
}

/**
 * Credentials made of a server, TLS material and a bearer token: a kubeconfig's common case and
 * a pod's ServiceAccount. Files are re-read when they change, so rotated tokens and certificates
 * are used without a restart. No agent is set: Node's global agent keeps connections alive and
 * pools them by TLS material, where client-node builds a new agent (a new handshake) per request.
 */
export class CertTokenCredentials implements KubeCredentials {
  private readonly cluster: { readonly server: string };

  constructor(private readonly opts: CertTokenOptions) {
    this.cluster = { server: opts.server };
  }

  getCurrentCluster(): { readonly server: string } {
    return this.cluster;
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const { ca, cert, key, token, insecureSkipTlsVerify } = this.opts;
    if (ca) opts.ca = await bytes(ca);
    if (cert) opts.cert = await bytes(cert);
    if (key) opts.key = await bytes(key);
    if (insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (token !== undefined) {
      const raw = typeof token === 'string' ? token : (await token.read()).toString('utf8');
      // A token file usually ends in a newline, which a header cannot carry (client-go trims too);
      // an empty token sends no header at all, as in client-go.
      const value = raw.trim();
      if (value) opts.headers = { ...opts.headers, Authorization: `Bearer ${value}` };
    }
  }
}

function bytes(m: Material): Promise<Buffer> | Buffer {
  return Buffer.isBuffer(m) ? m : m.read();
}
