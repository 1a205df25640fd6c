import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { run } from '@switchyard/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig } from '../src/kubeconfig.js';
import { resolveOptions } from '../src/options.js';
import { type TestbedPki, createPki } from '../src/pki.js';

let dir: string;
let pki: TestbedPki;

beforeAll(async () => {
  dir = await mkdtemp(`${tmpdir()}/sy-pki-`);
  pki = await createPki(dir, resolveOptions({ name: 'pkitest' }), ['node-1']);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function text(cert: string): Promise<string> {
  return (await run(['openssl', 'x509', '-in', cert, '-noout', '-text'])).stdout;
}

describe('testbed PKI', () => {
  it('every certificate verifies against the CA', async () => {
    for (const c of [
      pki.apiserver,
      pki.admin,
      pki.controllerManager,
      pki.scheduler,
      pki.nodes['node-1']!,
    ]) {
      const r = await run(['openssl', 'verify', '-CAfile', pki.ca.cert, c.cert]);
      expect(r.stdout).toContain(': OK');
    }
  });

  it('the serving certificate covers the relay, the underlay and the Service address', async () => {
    const t = await text(pki.apiserver.cert);
    for (const san of [
      'IP Address:127.0.0.1',
      'IP Address:172.31.255.1',
      'IP Address:10.96.0.1',
      'DNS:kubernetes.default.svc.cluster.local',
    ]) {
      expect(t).toContain(san);
    }
    expect(t).toContain('TLS Web Server Authentication');
  });

  it('client identities carry the groups RBAC and the Node authorizer expect', async () => {
    expect(await text(pki.admin.cert)).toMatch(
      /Subject: O = system:masters, CN = switchyard-testbed-admin/,
    );
    expect(await text(pki.nodes['node-1']!.cert)).toMatch(
      /Subject: O = system:nodes, CN = system:node:node-1/,
    );
    expect(await text(pki.controllerManager.cert)).toMatch(/CN = system:kube-controller-manager/);
  });

  it('the service-account public key matches its private key', async () => {
    const derived = await run(['openssl', 'pkey', '-in', pki.serviceAccount.key, '-pubout']);
    expect(derived.stdout).toBe(await readFile(pki.serviceAccount.pub, 'utf8'));
  });

  it('a kubeconfig embeds the CA and the client pair', async () => {
    const cfg = parse(
      await renderKubeconfig({
        server: 'https://127.0.0.1:1234',
        caFile: pki.ca.cert,
        client: pki.admin,
        user: 'admin',
      }),
    ) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
      'current-context': string;
    };
    expect(cfg.clusters[0]!.cluster.server).toBe('https://127.0.0.1:1234');
    expect(
      Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString(),
    ).toBe(await readFile(pki.ca.cert, 'utf8'));
    expect(Buffer.from(cfg.users[0]!.user['client-key-data']!, 'base64').toString()).toBe(
      await readFile(pki.admin.key, 'utf8'),
    );
    expect(cfg['current-context']).toBe('testbed');
  });
});
