import { Backoff, type BackoffOptions, sleep } from './backoff.js';
import { KubeOptionError, statusOf } from './errors.js';
import type { KubeClient } from './kube-client.js';
import { type ResourceRef, objectPath } from './resource.js';

/** The patch formats the apiserver takes. `strategic` works on built-in kinds only. */
export type PatchType = 'merge' | 'strategic' | 'apply' | 'json';

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  // JSON is YAML, so an apply body can be sent as JSON under the YAML type.
  apply: 'application/apply-patch+yaml',
  json: 'application/json-patch+json',
};

export interface PatchOptions {
  type?: PatchType;
  subresource?: string;
  /** Required for `apply`; names the owner of the fields in managedFields. */
  fieldManager?: string;
  /** `apply` only: take over fields another manager owns instead of failing with 409. */
  force?: boolean;
}

/** Sends one PATCH to an object (or its subresource) and returns the object the server kept. */
export async function patchObject<T = unknown>(
  client: KubeClient,
  ref: ResourceRef,
  name: string,
  patch: unknown,
  opts: PatchOptions = {},
): Promise<T> {
  const type = opts.type ?? 'merge';
  if (!(type in CONTENT_TYPES))
    throw new KubeOptionError('type', `unknown patch type ${String(type)}`);
  if (type === 'apply' && !opts.fieldManager) {
    throw new KubeOptionError('fieldManager', 'server-side apply needs a field manager');
  }
  return client.request<T>('PATCH', objectPath(ref, name, opts.subresource), {
    body: patch,
    contentType: CONTENT_TYPES[type],
    query: {
      fieldManager: opts.fieldManager,
      force: type === 'apply' && opts.force ? true : undefined,
    },
  });
}

/**
 * Sets (string) or removes (null) annotations with a JSON merge patch; other annotations stay.
 * With `resourceVersion`, the patch only applies to that version (409 Conflict otherwise).
 */
export async function patchAnnotations<T = unknown>(
  client: KubeClient,
  ref: ResourceRef,
  name: string,
  annotations: Record<string, string | null>,
  opts: { resourceVersion?: string } = {},
): Promise<T> {
  const metadata: Record<string, unknown> = { annotations };
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  return patchObject<T>(client, ref, name, { metadata }, { type: 'merge' });
}

export interface StatusPatchOptions {
  /** `merge` (default) merges into the current status; `apply` owns the given fields. */
  type?: 'merge' | 'apply';
  /** Needed for `apply`. */
  fieldManager?: string;
  /** Needed for `apply`: the object's kind (apiVersion comes from the ResourceRef). */
  kind?: string;
}

/** Patches the `status` subresource; spec and metadata are untouched. */
export async function patchStatus<T = unknown>(
  client: KubeClient,
  ref: ResourceRef,
  name: string,
  status: Record<string, unknown>,
  opts: StatusPatchOptions = {},
): Promise<T> {
  if (opts.type === 'apply') {
    if (!opts.kind) throw new KubeOptionError('kind', 'server-side apply of status needs the kind');
    const body = {
      apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version,
      kind: opts.kind,
      metadata: { name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      status,
    };
    return patchObject<T>(client, ref, name, body, {
      type: 'apply',
      subresource: 'status',
      force: true,
      ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
    });
  }
  return patchObject<T>(client, ref, name, { status }, { type: 'merge', subresource: 'status' });
}

export interface RetryOptions {
  /** Attempts in all; default 5. */
  attempts?: number;
  backoff?: BackoffOptions;
}

/** Runs `fn` again (after a short jittered backoff) while it fails with 409 Conflict. */
export async function retryOnConflict<R>(
  fn: () => Promise<R>,
  opts: RetryOptions = {},
): Promise<R> {
  const attempts = opts.attempts ?? 5;
  if (!(attempts >= 1)) throw new KubeOptionError('attempts', 'must be at least 1');
  const backoff = new Backoff({ initialMs: 10, maxMs: 1000, ...opts.backoff });
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (statusOf(e) !== 409 || i >= attempts) throw e;
      await sleep(backoff.next());
    }
  }
}

/**
 * Read-modify-write with optimistic concurrency: GET the object, let `mutate` change a copy
 * (return undefined for "nothing to do"), PUT it with the resourceVersion it was read at, and
 * start over on 409 Conflict. Resolves with the stored object (or the unchanged one).
 */
export async function updateWithRetry<T extends { metadata?: { resourceVersion?: string } }>(
  client: KubeClient,
  ref: ResourceRef,
  name: string,
  mutate: (current: T) => T | undefined,
  opts: RetryOptions & { subresource?: string } = {},
): Promise<T> {
  const path = objectPath(ref, name, opts.subresource);
  const getPath = objectPath(ref, name);
  return retryOnConflict(async () => {
    const current = await client.request<T>('GET', getPath);
    const next = mutate(structuredClone(current));
    if (next === undefined) return current;
    next.metadata = { ...next.metadata, resourceVersion: current.metadata?.resourceVersion };
    return client.request<T>('PUT', path, { body: next });
  }, opts);
}
