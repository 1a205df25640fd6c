import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { load } from 'js-yaml';
import { CertTokenCredentials, type Material } from './cert-token-credentials.js';
import { KubeConfigError } from './kube-config-error.js';
import { RefreshingFile } from './refreshing-file.js';

/**
 * A kubeconfig's current context, read without client-node: credentials when its cluster and user
 * use only what CertTokenCredentials carries, else why client-node must load it instead.
 */
export type KubeconfigReading =
  | { kind: 'credentials'; credentials: CertTokenCredentials }
  | { kind: 'client-node'; reason: string };

// Everything else (proxy-url, tls-server-name, exec, auth-provider, username/password, `as`
// impersonation, client-node's own `token-file`, fields added later) is left to client-node, so
// no kubeconfig loses a feature. `extensions` carry nothing a client acts on.
const CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'extensions',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'extensions',
]);

type Fields = Record<string, unknown>;

/**
 * Reads the kubeconfig at `path` and the files its current context names (relative paths are
 * relative to the kubeconfig's directory). Throws KubeConfigError when the file cannot be read or
 * parsed, has no usable current context, or names a file that cannot be read.
 */
export async function readKubeconfig(path: string): Promise<KubeconfigReading> {
  const fail = (detail: string, cause?: unknown): KubeConfigError =>
    new KubeConfigError(path, cause === undefined ? detail : `${detail}: ${messageOf(cause)}`, {
      cause,
    });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fail('cannot read the kubeconfig', e);
  }
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    throw fail('not valid YAML', e);
  }
  if (!isFields(doc)) throw fail('not a kubeconfig (the top level is not a mapping)');

  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || !contextName) throw fail('has no current-context');
  const context = entry(doc, 'contexts', 'context', contextName, fail);
  const clusterName = context['cluster'];
  if (typeof clusterName !== 'string' || !clusterName) {
    throw fail(`context "${contextName}" names no cluster`);
  }
  const cluster = entry(doc, 'clusters', 'cluster', clusterName, fail);
  const userName = context['user'];
  const user =
    typeof userName === 'string' && userName ? entry(doc, 'users', 'user', userName, fail) : {};

  const other =
    present(cluster).find((k) => !CLUSTER_FIELDS.has(k)) ??
    present(user).find((k) => !USER_FIELDS.has(k));
  if (other) return { kind: 'client-node', reason: `uses ${other}` };
  // Both forms of one thing: client-node and client-go disagree on which wins, so the file keeps
  // meaning what it meant before this loader existed.
  for (const [a, b] of [
    [cluster, 'certificate-authority'],
    [user, 'client-certificate'],
    [user, 'client-key'],
  ] as const) {
    if (value(a, b) !== undefined && value(a, `${b}-data`) !== undefined) {
      return { kind: 'client-node', reason: `sets both ${b} and ${b}-data` };
    }
  }
  if (value(user, 'token') !== undefined && value(user, 'tokenFile') !== undefined) {
    return { kind: 'client-node', reason: 'sets both token and tokenFile' };
  }

  const server = stringField(cluster, 'server', `cluster "${clusterName}"`, fail);
  if (server === undefined) throw fail(`cluster "${clusterName}" has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch (e) {
    throw fail(`cluster "${clusterName}" server "${server}" is not a URL`, e);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail(`cluster "${clusterName}" server "${server}" is not http(s)`);
  }
  const skip = value(cluster, 'insecure-skip-tls-verify');
  if (skip !== undefined && typeof skip !== 'boolean') {
    throw fail(`cluster "${clusterName}" insecure-skip-tls-verify must be true or false`);
  }

  const dir = dirname(path);
  const material = async (
    fields: Fields,
    name: string,
    owner: string,
  ): Promise<Material | undefined> => {
    const file = stringField(fields, name, owner, fail);
    if (file !== undefined) {
      const f = new RefreshingFile(resolve(dir, file));
      await f.read().catch((e: unknown) => {
        throw fail(`${owner} ${name} ${f.path}`, e);
      });
      return f;
    }
    const data = stringField(fields, `${name}-data`, owner, fail);
    if (data === undefined) return undefined;
    const bytes = Buffer.from(data, 'base64');
    if (!bytes.length) throw fail(`${owner} ${name}-data is not base64`);
    return bytes;
  };
  const userOwner = `user "${String(userName)}"`;
  const cert = await material(user, 'client-certificate', userOwner);
  const key = await material(user, 'client-key', userOwner);
  if ((cert === undefined) !== (key === undefined)) {
    throw fail(`${userOwner} needs both client-certificate and client-key, or neither`);
  }
  const tokenFile = stringField(user, 'tokenFile', userOwner, fail);
  let token: string | RefreshingFile | undefined = stringField(user, 'token', userOwner, fail);
  if (tokenFile !== undefined) {
    token = new RefreshingFile(resolve(dir, tokenFile));
    await token.read().catch((e: unknown) => {
      throw fail(`${userOwner} tokenFile`, e);
    });
  }
  const ca = await material(cluster, 'certificate-authority', `cluster "${clusterName}"`);
  return {
    kind: 'credentials',
    credentials: new CertTokenCredentials({
      server: server.replace(/\/+$/, ''),
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      ...(token !== undefined ? { token } : {}),
      insecureSkipTlsVerify: skip === true,
    }),
  };
}

/** The `item` mapping of the first `list` element named `name` (client-node takes the first too). */
function entry(
  doc: Fields,
  list: string,
  item: string,
  name: string,
  fail: (detail: string) => KubeConfigError,
): Fields {
  const items = doc[list];
  const found = Array.isArray(items)
    ? (items as unknown[]).find((e) => isFields(e) && e['name'] === name)
    : undefined;
  if (!isFields(found)) throw fail(`no ${item} named "${name}" in ${list}`);
  const body = found[item];
  if (!isFields(body)) throw fail(`${item} "${name}" has no ${item} mapping`);
  return body;
}

/** Fields that are set: YAML null and "" mean unset, as in client-node and client-go. */
function present(fields: Fields): string[] {
  return Object.keys(fields).filter((k) => value(fields, k) !== undefined);
}

function value(fields: Fields, name: string): unknown {
  const v = fields[name];
  return v === null || v === '' ? undefined : v;
}

function stringField(
  fields: Fields,
  name: string,
  owner: string,
  fail: (detail: string) => KubeConfigError,
): string | undefined {
  const v = value(fields, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail(`${owner} ${name} must be a string`);
  return v;
}

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
