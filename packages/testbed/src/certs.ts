import { mkdir } from 'node:fs/promises';
import { run } from '@switchyard/linux';

/** A certificate signed by the testbed CA, with its key, as PEM files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface LeafSpec {
  /** File stem inside the PKI directory. */
  file: string;
  commonName: string;
  organization?: string;
  /** Subject alternative names: IPv4 addresses and DNS names. */
  ips?: readonly string[];
  dnsNames?: readonly string[];
  usage: 'server' | 'client' | 'both';
}

const VALID_DAYS = '3650';
// X.509 subject values are passed to openssl as `/K=V` pairs; these characters would break them.
const SUBJECT_SAFE = /^[A-Za-z0-9:._ -]+$/;

async function newKey(path: string): Promise<void> {
  await run([
    'openssl',
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    path,
  ]);
}

/** `openssl req -x509` for the key in `files.key`: self-signed, or signed by `ca`. */
async function signCert(
  files: CertFiles,
  subject: string,
  extensions: readonly string[],
  ca?: CertFiles,
): Promise<void> {
  await run([
    'openssl',
    'req',
    '-x509',
    '-new',
    '-key',
    files.key,
    ...(ca ? ['-CA', ca.cert, '-CAkey', ca.key] : []),
    '-subj',
    subject,
    '-days',
    VALID_DAYS,
    ...extensions.flatMap((e) => ['-addext', e]),
    '-out',
    files.cert,
  ]);
}

/** Creates a self-signed CA (ECDSA P-256) in `dir`. */
export async function createCa(dir: string, commonName: string): Promise<CertFiles> {
  if (!SUBJECT_SAFE.test(commonName)) throw new TypeError(`bad CA name ${commonName}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = { cert: `${dir}/ca.crt`, key: `${dir}/ca.key` };
  await newKey(files.key);
  await signCert(files, `/CN=${commonName}`, [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return files;
}

/** Issues a leaf certificate from the CA in `dir`. */
export async function issueCert(dir: string, ca: CertFiles, spec: LeafSpec): Promise<CertFiles> {
  for (const value of [spec.commonName, spec.organization ?? 'x']) {
    if (!SUBJECT_SAFE.test(value)) throw new TypeError(`bad certificate subject ${value}`);
  }
  const files = { cert: `${dir}/${spec.file}.crt`, key: `${dir}/${spec.file}.key` };
  await newKey(files.key);
  const subject = (spec.organization ? `/O=${spec.organization}` : '') + `/CN=${spec.commonName}`;
  const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[
    spec.usage
  ];
  const sans = [
    ...(spec.ips ?? []).map((ip) => `IP:${ip}`),
    ...(spec.dnsNames ?? []).map((d) => `DNS:${d}`),
  ];
  await signCert(
    files,
    subject,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${eku}`,
      ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
    ],
    ca,
  );
  return files;
}

/** The service-account token signing key pair (private key and its public half). */
export async function createServiceAccountKey(dir: string): Promise<{ key: string; pub: string }> {
  const files = { key: `${dir}/sa.key`, pub: `${dir}/sa.pub` };
  await newKey(files.key);
  await run(['openssl', 'pkey', '-in', files.key, '-pubout', '-out', files.pub]);
  return files;
}
