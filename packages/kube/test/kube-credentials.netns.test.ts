// loadKubeConfig's own credentials against the testbed's real kube-apiserver: client
// certificates (inline and as files), a token, a tokenFile rotated under a running client, a pod's
// ServiceAccount mount faked by env + files; the client-node fallback running an exec plugin;
// and the failures (a token the apiserver does not know, a CA that did not sign its certificate,
// a kubeconfig naming a missing file). Who the apiserver took us for comes from a
// SelfSubjectReview, so each case proves which credential was sent.
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertTokenCredentials } from '../src/cert-token-credentials.js';
import { KubeApiError, KubeTransportError } from '../src/errors.js';
import { inClusterCredentials } from '../src/in-cluster.js';
import { KubeConfigError } from '../src/kube-config-error.js';
import type { KubeCredentials } from '../src/kube-credentials.js';
import { KubeClient } from '../src/kube-client.js';
import { loadKubeConfig } from '../src/load-kube-config.js';

const NAME = `kc${process.pid}`.slice(0, 12);
const NS = 'creds';

let tb: Testbed;
let admin: KubeClient;
let dir: string;
let server: URL;
let caData: string;
let certData: string;
let keyData: string;
let tokenA: string;
let tokenB: string;

interface Review {
  status?: { userInfo?: { username?: string } };
}

/** Who the apiserver says `creds` authenticate as. */
async function whoami(creds: KubeCredentials | KubeClient): Promise<string | undefined> {
  const client = creds instanceof KubeClient ? creds : new KubeClient(creds);
  const review = await client.request<Review>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  );
  return review.status?.userInfo?.username;
}

async function tokenFor(sa: string): Promise<string> {
  const tr = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${NS}/serviceaccounts/${sa}/token`,
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } },
  );
  return tr.status.token;
}

/** Writes a kubeconfig for the testbed's apiserver with the given cluster and user fields. */
function kubeconfig(name: string, cluster: object, user: object, at = dir): string {
  const path = join(at, name);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'tb', cluster: { server: server.href, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'tb', context: { cluster: 'tb', user: 'u' } }],
      'current-context': 'tb',
    }),
  );
  return path;
}

/** Replaces a file the way the kubelet rotates a projected token: write aside, then rename. */
function replace(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

beforeAll(async () => {
  tb = await startTestbed({
    name: NAME,
    nodes: 1,
    underlay: '172.31.207.0/24',
    cni: 'external',
  });
  dir = mkdtempSync(join(tmpdir(), 'sy-kube-creds-'));
  const cluster = tb.kubeConfig.getCurrentCluster()!;
  const user = tb.kubeConfig.getCurrentUser()!;
  server = new URL(cluster.server);
  caData = cluster.caData!;
  certData = user.certData!;
  keyData = user.keyData!;
  admin = new KubeClient(tb.kubeConfig);
  await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } });
  for (const sa of ['a', 'b']) {
    await admin.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, {
      body: { metadata: { name: sa } },
    });
  }
  tokenA = await tokenFor('a');
  tokenB = await tokenFor('b');
}, 240_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await tb?.down();
});

describe('our credentials against the apiserver', () => {
  it('client certificates, inline (the testbed admin kubeconfig): the first list', async () => {
    const creds = await loadKubeConfig(tb.kubeconfigPath, 'in-cluster');
    expect(creds).toBeInstanceOf(CertTokenCredentials);
    const list = await new KubeClient(creds).request<{ items: { metadata: { name: string } }[] }>(
      'GET',
      '/api/v1/namespaces',
    );
    expect(list.items.map((n) => n.metadata.name)).toContain(NS);
    expect(await whoami(creds)).toBe(await whoami(admin));
  });

  it('client certificates and CA as files relative to the kubeconfig', async () => {
    const sub = join(dir, 'pki');
    mkdirSync(sub);
    writeFileSync(join(sub, 'ca.pem'), Buffer.from(caData, 'base64'));
    writeFileSync(join(sub, 'cert.pem'), Buffer.from(certData, 'base64'));
    writeFileSync(join(sub, 'key.pem'), Buffer.from(keyData, 'base64'));
    const path = kubeconfig(
      'files.yaml',
      { 'certificate-authority': 'pki/ca.pem' },
      { 'client-certificate': 'pki/cert.pem', 'client-key': 'pki/key.pem' },
    );
    const creds = await loadKubeConfig(path, 'default');
    expect(creds).toBeInstanceOf(CertTokenCredentials);
    expect(await whoami(creds)).toBe(await whoami(admin));
  });

  it('a token', async () => {
    const path = kubeconfig(
      'token.yaml',
      { 'certificate-authority-data': caData },
      { token: tokenA },
    );
    expect(await whoami(await loadKubeConfig(path, 'default'))).toBe(
      `system:serviceaccount:${NS}:a`,
    );
  });

  it('a tokenFile, replaced under a running client: the next request uses the new token', async () => {
    const tokenPath = join(dir, 'rotating-token');
    writeFileSync(tokenPath, `${tokenA}\n`);
    const path = kubeconfig(
      'token-file.yaml',
      { 'certificate-authority-data': caData },
      { tokenFile: 'rotating-token' },
    );
    const client = new KubeClient(await loadKubeConfig(path, 'default'));
    expect(await whoami(client)).toBe(`system:serviceaccount:${NS}:a`);
    replace(tokenPath, `${tokenB}\n`);
    expect(await whoami(client)).toBe(`system:serviceaccount:${NS}:b`);
  });

  it("a pod's ServiceAccount mount (env + token + ca.crt), its token rotated", async () => {
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(caData, 'base64'));
    writeFileSync(join(sa, 'token'), tokenA);
    const creds = await inClusterCredentials({
      dir: sa,
      env: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port },
    });
    const client = new KubeClient(creds);
    expect(await whoami(client)).toBe(`system:serviceaccount:${NS}:a`);
    replace(join(sa, 'token'), tokenB);
    expect(await whoami(client)).toBe(`system:serviceaccount:${NS}:b`);
  });
});

describe('connections', () => {
  it('sequential requests share one kept-alive TLS connection (client-node opens one each)', async () => {
    // A TCP relay on loopback in front of the apiserver counts the connections clients open.
    let accepted = 0;
    const open = new Set<Socket>();
    const relay = createServer((inbound) => {
      accepted++;
      const outbound = connect(Number(server.port), server.hostname);
      for (const s of [inbound, outbound]) {
        open.add(s);
        s.on('error', () => undefined);
        s.on('close', () => open.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const via = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
      const countFor = async (creds: KubeCredentials): Promise<number> => {
        accepted = 0;
        const client = new KubeClient(creds);
        for (let i = 0; i < 5; i++)
          expect(await whoami(client)).toBe(`system:serviceaccount:${NS}:a`);
        return accepted;
      };
      const ours = kubeconfig(
        'relay.yaml',
        { server: via, 'certificate-authority-data': caData },
        { token: tokenA },
      );
      expect(await countFor(await loadKubeConfig(ours, 'default'))).toBe(1);
      const kc = new KubeConfig();
      kc.loadFromFile(ours);
      expect(await countFor(kc)).toBe(5);
    } finally {
      for (const s of open) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});

describe('the client-node fallback', () => {
  it('an exec plugin kubeconfig runs its plugin and authenticates with what it prints', async () => {
    const plugin = join(dir, 'credential-plugin.sh');
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: tokenB },
    };
    writeFileSync(plugin, `#!/bin/sh\necho '${JSON.stringify(credential)}'\n`);
    chmodSync(plugin, 0o755);
    const path = kubeconfig(
      'exec.yaml',
      { 'certificate-authority-data': caData },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          interactiveMode: 'Never',
        },
      },
    );
    const creds = await loadKubeConfig(path, 'default');
    expect(creds).toBeInstanceOf(KubeConfig);
    expect(await whoami(creds)).toBe(`system:serviceaccount:${NS}:b`);
  });
});

describe('failures', () => {
  it('a token the apiserver does not know: 401', async () => {
    const path = kubeconfig(
      'bad-token.yaml',
      { 'certificate-authority-data': caData },
      { token: `${tokenA.slice(0, -4)}AAAA` },
    );
    const err = await whoami(await loadKubeConfig(path, 'default')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(401);
  });

  it("a CA that did not sign the apiserver's certificate: refused before any request", async () => {
    // The admin client certificate is a real certificate, but not the serving certificate's CA.
    const path = kubeconfig(
      'wrong-ca.yaml',
      { 'certificate-authority-data': certData },
      { token: tokenA },
    );
    const err = await whoami(await loadKubeConfig(path, 'default')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransportError);
    expect((err as Error).message).toMatch(/certificate/);
  });

  it('a kubeconfig naming a missing CA file: KubeConfigError at load', async () => {
    const path = kubeconfig('missing-ca.yaml', { 'certificate-authority': 'nope.pem' }, {});
    await expect(loadKubeConfig(path, 'default')).rejects.toThrow(KubeConfigError);
  });
});
