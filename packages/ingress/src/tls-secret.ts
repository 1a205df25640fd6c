import { TlsConfigError } from './errors.js';
import type { CertificatePair } from './tls-store.js';

/** The parts of a `kubernetes.io/tls` Secret we read (`data` is base64, as the API serves it). */
export interface TlsSecret {
  metadata: { name: string; namespace?: string };
  type?: string;
  data?: Record<string, string>;
}

/** Decodes `tls.crt` / `tls.key` of a kubernetes.io/tls Secret; TlsConfigError if unusable. */
export function certificateFromSecret(secret: TlsSecret): CertificatePair {
  const where = [`Secret ${secret.metadata.namespace ?? 'default'}/${secret.metadata.name}`];
  if (secret.type !== undefined && secret.type !== 'kubernetes.io/tls') {
    throw new TlsConfigError(`type ${secret.type} is not kubernetes.io/tls`, where);
  }
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) throw new TlsConfigError('tls.crt and tls.key are required', where);
  return {
    cert: Buffer.from(crt, 'base64').toString('utf8'),
    key: Buffer.from(key, 'base64').toString('utf8'),
  };
}
