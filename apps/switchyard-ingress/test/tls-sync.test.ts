import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsStore, type CertificatePair } from '@switchyard/ingress';
import { silentLogger } from '@switchyard/kube';
import { afterAll, describe, expect, it } from 'vitest';
import { TlsSync } from '../src/tls-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-tls-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cert(name: string, sans: string[]): CertificatePair {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${sans[0]}`,
      '-addext',
      `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
      '-keyout',
      key,
      '-out',
      crt,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe('TlsSync', () => {
  const a = cert('a', ['a.test', '*.a.test']);
  const b = cert('b', ['b.test']);
  const secrets = new Map<string, { pair: CertificatePair; version: string }>([
    ['web/a', { pair: a, version: '1' }],
    ['web/b', { pair: b, version: '1' }],
    ['web/bad', { pair: { cert: a.cert, key: b.key }, version: '1' }],
  ]);
  const store = new TlsStore();
  const sync = new TlsSync(
    store,
    { pair: (ns, name) => secrets.get(`${ns}/${name}`) },
    silentLogger,
  );

  it('serves each Secret for its listed hosts, or the names in the certificate', () => {
    sync.apply([
      { namespace: 'web', name: 'a', hosts: undefined },
      { namespace: 'web', name: 'b', hosts: ['b.test', 'www.b.test'] },
      { namespace: 'web', name: 'unread', hosts: ['c.test'] },
    ]);
    expect(store.hosts()).toEqual(['*.a.test', 'a.test', 'b.test', 'www.b.test']);
    expect(store.lookup('x.a.test')).toBeDefined();
    expect(store.lookup('c.test')).toBeUndefined();
  });

  it('drops hostnames no longer in use and skips a pair whose key does not fit', () => {
    sync.apply([
      { namespace: 'web', name: 'b', hosts: ['b.test'] },
      { namespace: 'web', name: 'bad', hosts: ['bad.test'] },
    ]);
    expect(store.hosts()).toEqual(['b.test']);
  });
});
