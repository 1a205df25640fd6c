import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadKubeConfig } from '../src/load-kube-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-kubeconfig-'));
const file = (server: string): string => {
  const path = join(dir, `${server.replace(/\W/g, '_')}.yaml`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
  );
  return path;
};

afterEach(() => vi.unstubAllEnvs());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKubeConfig', () => {
  it('reads the named file whatever the fallback', async () => {
    const path = file('https://192.0.2.10:6443');
    for (const fallback of ['default', 'in-cluster'] as const)
      expect((await loadKubeConfig(path, fallback)).getCurrentCluster()?.server).toBe(
        'https://192.0.2.10:6443',
      );
  });

  it('without a file: `default` follows $KUBECONFIG, `in-cluster` only the pod environment', async () => {
    vi.stubEnv('KUBECONFIG', file('https://192.0.2.11:6443'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect((await loadKubeConfig(undefined, 'default')).getCurrentCluster()?.server).toBe(
      'https://192.0.2.11:6443',
    );
    expect((await loadKubeConfig(undefined, 'in-cluster')).getCurrentCluster()?.server).toBe(
      'https://10.96.0.1:443',
    );
  });

  it('fails on a file that is not there', async () => {
    await expect(loadKubeConfig(join(dir, 'missing'), 'default')).rejects.toThrow(/ENOENT/);
  });
});
