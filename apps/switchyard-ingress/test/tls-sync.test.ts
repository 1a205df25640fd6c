import { TlsStore, type CertificatePair } from '@switchyard/ingress';
import { silentLogger } from '@switchyard/kube';
import { describe, expect, it } from 'vitest';
import { makeCert } from '../../../packages/ingress/test/certs.js';
import { TlsSync } from '../src/tls-sync.js';

const a = await makeCert(['a.test', '*.a.test']);
const b = await makeCert(['b.test']);

describe('TlsSync', () => {
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
