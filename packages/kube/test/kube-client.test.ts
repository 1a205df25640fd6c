// The client's stream handling against a local HTTP server that speaks the apiserver's watch
// framing (one JSON object per line, chunked at arbitrary points); everything Kubernetes-specific
// is tested against the real apiserver in e2e/test/kube.
import { type Server, createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, KubeTransportError } from '../src/errors.js';
import type { KubeClient, WatchEvent } from '../src/kube-client.js';
import { clientFor } from './client-for.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<KubeClient> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return clientFor(server);
}

function collect(client: KubeClient): Promise<{ events: WatchEvent[]; err: Error | undefined }> {
  return new Promise((resolve) => {
    const events: WatchEvent[] = [];
    client.watch(
      '/api/v1/pods',
      { resourceVersion: '5' },
      (e) => events.push(e),
      (err) => resolve({ events, err }),
    );
  });
}

describe('KubeClient.watch', () => {
  it('reassembles events split across chunks and ends cleanly when the server closes', async () => {
    let query = '';
    const client = await serve((req, res) => {
      query = req.url ?? '';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text =
        JSON.stringify({
          type: 'ADDED',
          object: { metadata: { name: 'a', resourceVersion: '6' } },
        }) +
        '\n' +
        JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }) +
        '\n';
      // Split mid-object and mid-line, sent in separate writes.
      const parts = [text.slice(0, 10), text.slice(10, 50), text.slice(50)];
      let i = 0;
      const next = (): void => {
        if (i < parts.length) res.write(parts[i++], () => setTimeout(next, 5));
        else res.end();
      };
      next();
    });
    const { events, err } = await collect(client);
    expect(err).toBeUndefined();
    expect(
      events.map((e) => [
        e.type,
        (e.object.metadata as { resourceVersion: string }).resourceVersion,
      ]),
    ).toEqual([
      ['ADDED', '6'],
      ['BOOKMARK', '7'],
    ]);
    expect(query).toContain('watch=true');
    expect(query).toContain('resourceVersion=5');
  });

  it('ends the watch with an error on a line that is not JSON instead of skipping it', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\nnot json\n{"type":"ADDED","object":{}}\n');
    });
    const { events, err } = await collect(client);
    expect(events).toHaveLength(1);
    expect(err).toBeInstanceOf(KubeTransportError);
  });

  it('turns a Status answer into a KubeApiError with code and reason', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          code: 403,
          reason: 'Forbidden',
          message: 'pods is forbidden',
        }),
      );
    });
    const { err } = await collect(client);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as KubeApiError).reason).toBe('Forbidden');
    const listErr = await client.request('GET', '/api/v1/pods').catch((e: unknown) => e);
    expect(listErr).toBeInstanceOf(KubeApiError);
    expect((listErr as Error).message).toContain('pods is forbidden');
  });

  it('reports a connection reset mid-stream as an error, and delivers nothing after abort', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n', () =>
        setTimeout(() => res.socket?.resetAndDestroy(), 20),
      );
    });
    const { events, err } = await collect(client);
    expect(events).toHaveLength(1);
    expect(err).toBeInstanceOf(KubeTransportError);

    const seen: WatchEvent[] = [];
    let ended = 0;
    const h = client.watch(
      '/api/v1/pods',
      {},
      (e) => seen.push(e),
      () => ended++,
    );
    h.abort();
    h.abort();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    expect(ended).toBe(1);
  });

  it('ends the watch with the error of an onEvent that throws', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n{"type":"ADDED","object":{}}\n');
    });
    let calls = 0;
    const err = await new Promise<Error | undefined>((resolve) => {
      client.watch(
        '/api/v1/pods',
        {},
        () => {
          calls++;
          throw new TypeError('consumer bug');
        },
        resolve,
      );
    });
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(TypeError);
  });

  it('fails a request that has not completed within its deadline, even while bytes trickle in', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const t = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const err = await client
      .request('GET', '/api/v1/pods', { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransportError);
    expect((err as Error).message).toContain('no complete answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
