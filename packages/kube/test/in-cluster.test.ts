import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inClusterCredentials } from '../src/in-cluster.js';
import { KubeConfigError } from '../src/kube-config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-in-cluster-'));
writeFileSync(join(dir, 'ca.crt'), 'CA');
writeFileSync(join(dir, 'token'), 'token-1\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (host: string, port: string): Record<string, string> => ({
  KUBERNETES_SERVICE_HOST: host,
  KUBERNETES_SERVICE_PORT: port,
});

describe('inClusterCredentials', () => {
  it.each([
    ['10.96.0.1', '443', 'https://10.96.0.1:443'],
    ['fd00:10:96::1', '443', 'https://[fd00:10:96::1]:443'],
    ['kubernetes.default.svc', '6443', 'https://kubernetes.default.svc:6443'],
    ['10.96.0.1', '8080', 'http://10.96.0.1:8080'],
  ])('%s port %s is %s', async (host, port, server) => {
    const creds = await inClusterCredentials({ dir, env: env(host, port) });
    expect(creds.getCurrentCluster().server).toBe(server);
  });

  it('sends the ServiceAccount token, re-read when it is rotated, and trusts ca.crt', async () => {
    const creds = await inClusterCredentials({ dir, env: env('10.96.0.1', '443') });
    const first: RequestOptions = {};
    await creds.applyToHTTPSOptions(first);
    expect(first.headers).toEqual({ Authorization: 'Bearer token-1' });
    expect(String(first.ca)).toBe('CA');
    writeFileSync(join(dir, 'token'), 'token-22\n');
    const second: RequestOptions = {};
    await creds.applyToHTTPSOptions(second);
    expect(second.headers).toEqual({ Authorization: 'Bearer token-22' });
  });

  it('fails at once without the environment or the mount', async () => {
    await expect(inClusterCredentials({ dir, env: {} })).rejects.toThrow(KubeConfigError);
    const empty = mkdtempSync(join(tmpdir(), 'sy-in-cluster-empty-'));
    try {
      const err = await inClusterCredentials({ dir: empty, env: env('10.96.0.1', '443') }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KubeConfigError);
      expect((err as KubeConfigError).source).toBe('in-cluster');
      expect((err as Error).message).toContain(join(empty, 'ca.crt'));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
