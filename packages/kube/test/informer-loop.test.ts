// The informer's loop rules against a loopback HTTP server that misbehaves on purpose in ways a
// healthy apiserver rarely does (a malformed event, watches that end at once). Real apiserver
// behaviour (restart, 410, RBAC, frozen server) is tested in e2e/test/kube.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../src/informer.js';
import type { KubeClient } from '../src/kube-client.js';
import { clientFor } from './client-for.js';

let server: Server | undefined;
const informers: Informer<V1ConfigMap>[] = [];
afterEach(async () => {
  for (const i of informers.splice(0)) await i.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, watch: boolean) => void,
): Promise<KubeClient> {
  server = createServer((req, res) => handler(req, res, (req.url ?? '').includes('watch=true')));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return clientFor(server);
}

function list(res: ServerResponse, names: string[], rv: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      metadata: { resourceVersion: rv },
      items: names.map((name) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } })),
    }),
  );
}

function informer(client: KubeClient): Informer<V1ConfigMap> {
  const inf = new Informer<V1ConfigMap>({
    client,
    resource: { version: 'v1', plural: 'configmaps', namespace: 'ns' },
    backoff: { initialMs: 50, maxMs: 200 },
  });
  informers.push(inf);
  return inf;
}

describe('Informer loop', () => {
  it('survives a malformed watch event by relisting, and reports the difference', async () => {
    let lists = 0;
    const client = await serve((_req, res, watch) => {
      if (!watch) return list(res, ++lists === 1 ? ['a', 'b'] : ['b', 'c'], String(lists * 10));
      res.writeHead(200);
      // `object: null` would throw inside the cache; it must not take the process down.
      res.write(lists === 1 ? '{"type":"ADDED","object":null}\n' : '');
    });
    const inf = informer(client);
    const seen: string[] = [];
    inf.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    inf.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
    await inf.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(inf.stats().relists).toBe(2);
    expect(inf.stats().watchEnds.error).toBeGreaterThanOrEqual(1);
    expect(inf.cache.keys().sort()).toEqual(['ns/b', 'ns/c']);
    expect(seen).toEqual(['add a', 'add b', 'add c', 'delete a']);
  });

  it('does not spin when every watch ends at once with nothing in it', async () => {
    let watches = 0;
    const client = await serve((_req, res, watch) => {
      if (!watch) return list(res, ['a'], '5');
      watches++;
      res.writeHead(200);
      res.end();
    });
    const inf = informer(client);
    await inf.start();
    await new Promise((r) => setTimeout(r, 1000));
    // Backoff 50 ms doubling to 200 ms: about 7 watches in a second, not thousands.
    expect(watches).toBeGreaterThanOrEqual(3);
    expect(watches).toBeLessThan(20);
    expect(inf.stats().watchEnds.closed).toBe(watches);
    expect(inf.stats().relists).toBe(1);
  });

  it('stops promptly while waiting out a backoff, and rejects `synced` if it never synced', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"kind":"Status","code":500,"reason":"InternalError","message":"boom"}');
    });
    const inf = new Informer<V1ConfigMap>({
      client,
      resource: { version: 'v1', plural: 'configmaps' },
      backoff: { initialMs: 10_000, maxMs: 10_000 },
    });
    void inf.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(inf.stats().failures).toBe(1);
    expect(inf.stats().lastError).toContain('500 InternalError: boom');
    const started = Date.now();
    await inf.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(inf.synced).rejects.toThrow(/stopped before sync/);
  });

  it('lists page by page, and lists again in one go when the continue token expires (410)', async () => {
    const queries: string[] = [];
    const client = await serve((req, res, watch) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (watch) {
        res.writeHead(200);
        return;
      }
      queries.push(url.search);
      res.writeHead(url.searchParams.get('continue') === 'stale' ? 410 : 200, {
        'Content-Type': 'application/json',
      });
      if (url.searchParams.get('continue') === 'stale') {
        return res.end(
          '{"kind":"Status","code":410,"reason":"Expired","message":"continue expired"}',
        );
      }
      const all = ['a', 'b', 'c'];
      const paged = url.searchParams.has('limit');
      res.end(
        JSON.stringify({
          metadata: { resourceVersion: '9', ...(paged ? { continue: 'stale' } : {}) },
          items: (paged ? all.slice(0, 2) : all).map((name) => ({
            metadata: { name, namespace: 'ns', resourceVersion: '9' },
          })),
        }),
      );
    });
    const inf = new Informer<V1ConfigMap>({
      client,
      resource: { version: 'v1', plural: 'configmaps', namespace: 'ns' },
      pageSize: 2,
    });
    informers.push(inf);
    const added: string[] = [];
    inf.on('add', (o) => added.push(o.metadata!.name!));
    await inf.start();
    expect(queries).toEqual(['?limit=2', '?limit=2&continue=stale', '']);
    expect(added).toEqual(['a', 'b', 'c']);
    expect(inf.stats().resourceVersion).toBe('9');
  });
});
