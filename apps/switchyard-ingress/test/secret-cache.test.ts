import { createServer, type Server } from 'node:http';
import { KubeClient, silentLogger } from '@switchyard/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackKubeConfig } from '../../../packages/kube/test/client-for.js';
import { SecretCache } from '../src/secret-cache.js';

// A loopback stand-in for the apiserver: Secrets by name, and a log of the paths asked for.
const secrets = new Map<string, object>();
const asked: string[] = [];
let server: Server;
let client: KubeClient;

const tlsSecret = (rv: string, crt = 'cert', key = 'key'): object => ({
  metadata: { resourceVersion: rv },
  type: 'kubernetes.io/tls',
  data: {
    'tls.crt': Buffer.from(crt).toString('base64'),
    'tls.key': Buffer.from(key).toString('base64'),
  },
});

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/?]+)$/.exec(req.url ?? '');
    const s = m ? secrets.get(`${m[1]}/${m[2]}`) : undefined;
    res.writeHead(s ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(s ?? { kind: 'Status', code: 404, reason: 'NotFound' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // The built @switchyard/kube client, not the kube tests' clientFor(): SecretCache tells a
  // missing Secret by `instanceof KubeApiError`, which must be the class the app imports.
  client = new KubeClient(loopbackKubeConfig(server));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Resolves on the next onChange call. */
function changes(): { cache: SecretCache; next: () => Promise<void> } {
  let wake: (() => void) | undefined;
  const cache = new SecretCache(client, silentLogger, 60_000, () => wake?.(), 100);
  return { cache, next: () => new Promise<void>((r) => (wake = r)) };
}

describe('SecretCache', () => {
  it('reads referenced Secrets by name only (GET, never a list or watch)', async () => {
    secrets.set('web/a', tlsSecret('1'));
    secrets.set('web/opaque', { metadata: { resourceVersion: '1' }, type: 'Opaque', data: {} });
    const { cache, next } = changes();
    expect(cache.state('web', 'a')).toBe('unknown');
    const changed = next();
    cache.refresh([{ namespace: 'web', name: 'a' }]);
    await changed;
    expect(cache.state('web', 'a')).toBe('ok');
    expect(cache.pair('web', 'a')).toEqual({ pair: { cert: 'cert', key: 'key' }, version: '1' });
    const second = next();
    cache.refresh([{ namespace: 'web', name: 'opaque' }]);
    await second;
    expect(cache.state('web', 'opaque')).toBe('invalid');
    // 'a' is no longer referenced: forgotten.
    expect(cache.state('web', 'a')).toBe('unknown');
    expect(asked.every((a) => a.startsWith('GET /api/v1/namespaces/web/secrets/'))).toBe(true);
  });

  it('a missing Secret is read again soon, and found once it exists', async () => {
    const { cache, next } = changes();
    const ref = [{ namespace: 'web', name: 'late' }];
    let changed = next();
    cache.refresh(ref);
    await changed;
    expect(cache.state('web', 'late')).toBe('missing');
    // Not due yet: no second request.
    const before = asked.length;
    cache.refresh(ref);
    expect(asked.length).toBe(before);
    secrets.set('web/late', tlsSecret('7'));
    changed = next(); // the retry timer asks for a rebuild
    await changed;
    changed = next();
    cache.refresh(ref);
    await changed;
    expect(cache.state('web', 'late')).toBe('ok');
    expect(cache.pair('web', 'late')?.version).toBe('7');
  });
});
