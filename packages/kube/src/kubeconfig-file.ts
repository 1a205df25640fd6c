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
type Fail = (detail: string, cause?: unknown) => KubeConfigError;

/**
 * Reads the kubeconfig at `path` and the files its current context names (relative paths are
 * relative to the kubeconfig's directory). Throws KubeConfigError when the file cannot be read or
 * parsed, has no usable current context, or names a file that cannot be read.
 */
export async function readKubeconfig(path: string): Promise<KubeconfigReading> {
  const fail: Fail = (detail, cause) =>
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
  const { cluster, user } = currentContext(doc, fail);
  const reason = clientNodeReason(cluster.fields, user.fields);
  if (reason) return { kind: 'client-node', reason };
  return {
    kind: 'credentials',
    credentials: await credentials(cluster, user, dirname(path), fail),
  };
}

interface Named {
  /** `cluster "name"`, for messages. */
  label: string;
  fields: Fields;
}

/** The current context's cluster and user (no fields when the context names no user). */
function currentContext(doc: Fields, fail: Fail): { cluster: Named; user: Named } {
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || !contextName) throw fail('has no current-context');
  const context = entry(doc, 'contexts', 'context', contextName, fail);
  const clusterName = context['cluster'];
  if (typeof clusterName !== 'string' || !clusterName) {
    throw fail(`context "${contextName}" names no cluster`);
  }
  const userName = context['user'];
  const hasUser = typeof userName === 'string' && userName !== '';
  return {
    cluster: {
      label: `cluster "${clusterName}"`,
      fields: entry(doc, 'clusters', 'cluster', clusterName, fail),
    },
    user: {
      label: `user "${hasUser ? userName : ''}"`,
      fields: hasUser ? entry(doc, 'users', 'user', userName, fail) : {},
    },
  };
}

/** Why client-node must load this context, or undefined when CertTokenCredentials can carry it. */
function clientNodeReason(cluster: Fields, user: Fields): string | undefined {
  const other =
    present(cluster).find((k) => !CLUSTER_FIELDS.has(k)) ??
    present(user).find((k) => !USER_FIELDS.has(k));
  if (other) return `uses ${other}`;
  // Both forms of one thing: client-node and client-go disagree on which wins, so the file keeps
  // meaning what it meant before this reader existed (client-node also ignores tokenFile).
  const pairs: [Fields, string, string][] = [
    [cluster, 'certificate-authority', 'certificate-authority-data'],
    [user, 'client-certificate', 'client-certificate-data'],
    [user, 'client-key', 'client-key-data'],
    [user, 'token', 'tokenFile'],
  ];
  for (const [fields, a, b] of pairs) {
    if (value(fields, a) !== undefined && value(fields, b) !== undefined) {
      return `sets both ${a} and ${b}`;
    }
  }
  return undefined;
}

async function credentials(
  cluster: Named,
  user: Named,
  dir: string,
  fail: Fail,
): Promise<CertTokenCredentials> {
  const server = stringField(cluster, 'server', fail);
  if (server === undefined) throw fail(`${cluster.label} has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch (e) {
    throw fail(`${cluster.label} server "${server}" is not a URL`, e);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail(`${cluster.label} server "${server}" is not http(s)`);
  }
  const skip = value(cluster.fields, 'insecure-skip-tls-verify');
  if (skip !== undefined && typeof skip !== 'boolean') {
    throw fail(`${cluster.label} insecure-skip-tls-verify must be true or false`);
  }
  const ca = await material(cluster, 'certificate-authority', dir, fail);
  const cert = await material(user, 'client-certificate', dir, fail);
  const key = await material(user, 'client-key', dir, fail);
  if ((cert === undefined) !== (key === undefined)) {
    throw fail(`${user.label} needs both client-certificate and client-key, or neither`);
  }
  const tokenFile = stringField(user, 'tokenFile', fail);
  const token =
    tokenFile === undefined
      ? stringField(user, 'token', fail)
      : await openFile(user, 'tokenFile', resolve(dir, tokenFile), fail);
  return new CertTokenCredentials({
    server: server.replace(/\/+$/, ''),
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(token !== undefined ? { token } : {}),
    insecureSkipTlsVerify: skip === true,
  });
}

/** `name` (a file path) or `name-data` (base64), whichever is set. */
async function material(
  owner: Named,
  name: string,
  dir: string,
  fail: Fail,
): Promise<Material | undefined> {
  const file = stringField(owner, name, fail);
  if (file !== undefined) return openFile(owner, name, resolve(dir, file), fail);
  const data = stringField(owner, `${name}-data`, fail);
  if (data === undefined) return undefined;
  const bytes = Buffer.from(data, 'base64');
  if (!bytes.length) throw fail(`${owner.label} ${name}-data is not base64`);
  return bytes;
}

/** A file read once now, so a missing one fails at load, naming the field that names it. */
async function openFile(
  owner: Named,
  name: string,
  path: string,
  fail: Fail,
): Promise<RefreshingFile> {
  const f = new RefreshingFile(path);
  await f.read().catch((e: unknown) => {
    throw fail(`${owner.label} ${name} ${path}`, e);
  });
  return f;
}

/** The `item` mapping of the first `list` element named `name` (client-node takes the first too). */
function entry(doc: Fields, list: string, item: string, name: string, fail: Fail): Fields {
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

function stringField(owner: Named, name: string, fail: Fail): string | undefined {
  const v = value(owner.fields, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail(`${owner.label} ${name} must be a string`);
  return v;
}

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
