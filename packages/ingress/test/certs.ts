import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@switchyard/linux';
import type { CertificatePair } from '../src/tls-store.js';

/**
 * Self-signed cert/key made by the openssl CLI, for the given DNS names (first is the CN; `*.x`
 * wildcards allowed), valid for two days. The one helper for certificates in tests: the
 * ingress package's, the switchyard-ingress app's and the e2e suite's.
 */
export async function makeCert(names: readonly string[]): Promise<CertificatePair> {
  if (names.length === 0) throw new TypeError('makeCert needs at least one DNS name');
  const dir = mkdtempSync(join(tmpdir(), 'sy-ingress-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run([
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ]);
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
