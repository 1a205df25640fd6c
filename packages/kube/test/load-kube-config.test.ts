// Which loader a kubeconfig gets, what ours reads from it, and the typed errors for bad files.
// The credentials are used against the real apiserver in kube-credentials.netns.test.ts.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CertTokenCredentials } from '../src/cert-token-credentials.js';
import { SERVICE_ACCOUNT_DIR } from '../src/in-cluster.js';
import { KubeConfigError } from '../src/kube-config-error.js';
import type { KubeCredentials } from '../src/kube-credentials.js';
import { loadKubeConfig } from '../src/load-kube-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-kubeconfig-'));
let n = 0;
const write = (text: string, name = `k${n++}.yaml`): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A one-context kubeconfig with the given cluster and user bodies (flow-style YAML). */
const kubeconfig = (cluster: string, user: string, name?: string): string =>
  write(
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: ${cluster}
users:
- name: u
  user: ${user}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`,
    name,
  );

async function applied(creds: KubeCredentials): Promise<RequestOptions> {
  const opts: RequestOptions = {};
  await creds.applyToHTTPSOptions(opts);
  return opts;
}

afterEach(() => vi.unstubAllEnvs());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKubeConfig: our own reader', () => {
  it('reads the named file whatever the fallback', async () => {
    const path = kubeconfig('{server: "https://192.0.2.10:6443/"}', '{token: x}');
    for (const fallback of ['default', 'in-cluster'] as const) {
      const creds = await loadKubeConfig(path, fallback);
      expect(creds).toBeInstanceOf(CertTokenCredentials);
      expect(creds.getCurrentCluster()?.server).toBe('https://192.0.2.10:6443');
      expect((await applied(creds)).headers).toEqual({ Authorization: 'Bearer x' });
    }
  });

  it('takes inline certificates, and files relative to the kubeconfig, not the cwd', async () => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.pem'), 'CA FILE');
    writeFileSync(join(dir, 'pki', 'key.pem'), 'KEY FILE');
    const path = kubeconfig(
      `{server: "https://192.0.2.12:6443", certificate-authority: pki/ca.pem}`,
      `{client-certificate-data: ${b64('CERT DATA')}, client-key: pki/key.pem}`,
    );
    const cwd = process.cwd();
    expect(cwd).not.toBe(dir);
    const opts = await applied(await loadKubeConfig(path, 'default'));
    expect(String(opts.ca)).toBe('CA FILE');
    expect(String(opts.cert)).toBe('CERT DATA');
    expect(String(opts.key)).toBe('KEY FILE');
    expect(opts.rejectUnauthorized).toBeUndefined();
    expect(opts.headers).toBeUndefined();
  });

  it('honours insecure-skip-tls-verify and reads a tokenFile, trimmed', async () => {
    write('tok-1\n', 'token');
    const path = kubeconfig(
      '{server: "https://192.0.2.13:6443", insecure-skip-tls-verify: true}',
      '{tokenFile: token}',
    );
    const opts = await applied(await loadKubeConfig(path, 'in-cluster'));
    expect(opts.rejectUnauthorized).toBe(false);
    expect(opts.headers).toEqual({ Authorization: 'Bearer tok-1' });
  });

  it('without a file: `default` follows $KUBECONFIG, then ~/.kube/config', async () => {
    vi.stubEnv('KUBECONFIG', kubeconfig('{server: "https://192.0.2.11:6443"}', '{token: x}'));
    expect((await loadKubeConfig(undefined, 'default')).getCurrentCluster()?.server).toBe(
      'https://192.0.2.11:6443',
    );
    vi.stubEnv('KUBECONFIG', '');
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    kubeconfig('{server: "https://192.0.2.14:6443"}', '{token: x}', 'home/.kube/config');
    vi.stubEnv('HOME', join(dir, 'home'));
    expect((await loadKubeConfig(undefined, 'default')).getCurrentCluster()?.server).toBe(
      'https://192.0.2.14:6443',
    );
  });

  it('`in-cluster` never reads $KUBECONFIG, and fails at once outside a pod', async () => {
    vi.stubEnv('KUBECONFIG', kubeconfig('{server: "https://192.0.2.11:6443"}', '{token: x}'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '');
    await expect(loadKubeConfig(undefined, 'in-cluster')).rejects.toThrow(
      /in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    );
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    if (existsSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt'))) {
      // Run inside a pod: its own mount is read.
      expect((await loadKubeConfig(undefined, 'in-cluster')).getCurrentCluster()?.server).toBe(
        'https://10.96.0.1:443',
      );
    } else {
      // Not a pod: the missing ServiceAccount mount is named in the error.
      await expect(loadKubeConfig(undefined, 'in-cluster')).rejects.toThrow(
        /cannot read \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/ca\.crt/,
      );
    }
  });
});

describe('loadKubeConfig: left to client-node', () => {
  it.each([
    ['an exec plugin', '{server: "https://192.0.2.20:6443"}', '{exec: {command: x}}'],
    ['an auth provider', '{server: "https://192.0.2.20:6443"}', '{auth-provider: {name: oidc}}'],
    ['basic auth', '{server: "https://192.0.2.20:6443"}', '{username: a, password: b}'],
    ['impersonation', '{server: "https://192.0.2.20:6443"}', '{token: x, as: someone}'],
    ['a proxy', '{server: "https://192.0.2.20:6443", proxy-url: "http://p:3128"}', '{token: x}'],
    ['a TLS server name', '{server: "https://192.0.2.20:6443", tls-server-name: k}', '{token: x}'],
    ['token and tokenFile', '{server: "https://192.0.2.20:6443"}', '{token: x, tokenFile: t}'],
    [
      'a CA file and data',
      `{server: "https://192.0.2.20:6443", certificate-authority: a, certificate-authority-data: ${b64('x')}}`,
      '{token: x}',
    ],
  ])('%s', async (_what, cluster, user) => {
    const kc = await loadKubeConfig(kubeconfig(cluster, user), 'default');
    expect(kc).toBeInstanceOf(KubeConfig);
    expect(kc.getCurrentCluster()?.server).toBe('https://192.0.2.20:6443');
  });

  it('several files in $KUBECONFIG, merged', async () => {
    const a = kubeconfig('{server: "https://192.0.2.21:6443"}', '{token: x}');
    const b = write(`clusters: [{name: other, cluster: {server: "https://192.0.2.22:6443"}}]\n`);
    vi.stubEnv('KUBECONFIG', `${a}:${b}`);
    const kc = await loadKubeConfig(undefined, 'default');
    expect(kc).toBeInstanceOf(KubeConfig);
    expect((kc as KubeConfig).getClusters().map((c) => c.server)).toEqual([
      'https://192.0.2.21:6443',
      'https://192.0.2.22:6443',
    ]);
  });
});

describe('loadKubeConfig: bad files give a KubeConfigError naming the file', () => {
  const server = '{server: "https://192.0.2.30:6443"}';
  it.each([
    ['a missing file', () => join(dir, 'missing'), /cannot read the kubeconfig: ENOENT/],
    ['bad YAML', () => write('clusters: [\n'), /not valid YAML/],
    ['a list at the top', () => write('- a\n- b\n'), /top level is not a mapping/],
    ['no current-context', () => write('clusters: []\n'), /has no current-context/],
    [
      'a context that is not there',
      () => write('current-context: nope\ncontexts: []\n'),
      /no context named "nope" in contexts/,
    ],
    ['a cluster without server', () => kubeconfig('{}', '{token: x}'), /has no server/],
    [
      'a server that is not a URL',
      () => kubeconfig('{server: "192.0.2.30:6443"}', '{token: x}'),
      /server "192\.0\.2\.30:6443" is not a URL/,
    ],
    [
      'a server that is not HTTP',
      () => kubeconfig('{server: "ftp://192.0.2.30"}', '{token: x}'),
      /is not http\(s\)/,
    ],
    [
      'a certificate file that is missing',
      () => kubeconfig(server, '{client-certificate: nope.pem, client-key: nope.key}'),
      /user "u" client-certificate \S+nope\.pem: ENOENT/,
    ],
    [
      'a certificate without its key',
      () => kubeconfig(server, `{client-certificate-data: ${b64('c')}}`),
      /needs both client-certificate and client-key/,
    ],
    [
      'a tokenFile that is missing',
      () => kubeconfig(server, '{tokenFile: nope}'),
      /tokenFile.*ENOENT/,
    ],
    [
      'a token that is not a string',
      () => kubeconfig(server, '{token: [1]}'),
      /token must be a string/,
    ],
  ])('%s', async (_what, path, message) => {
    const file = path();
    const err = await loadKubeConfig(file, 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as KubeConfigError).source).toBe(file);
    expect((err as Error).message).toMatch(message);
  });

  it('a file client-node cannot load either, when it is the one to load it', async () => {
    // The current context needs client-node (a proxy); another cluster has no server, which only
    // client-node checks.
    const file = write(`clusters:
- {name: c, cluster: {server: "https://192.0.2.31:6443", proxy-url: "http://p:3128"}}
- {name: broken, cluster: {}}
users: [{name: u, user: {token: x}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`);
    const err = await loadKubeConfig(file, 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as Error).message).toBe(`${file}: clusters[1].cluster.server is missing`);
  });
});
