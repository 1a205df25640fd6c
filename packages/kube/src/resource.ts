import { KubeOptionError } from './errors.js';

/** Which collection: `{version: 'v1', plural: 'pods'}` or `{group: 'apps', version: 'v1', ...}`. */
export interface ResourceRef {
  /** API group; empty or absent for the core group. */
  group?: string;
  version: string;
  plural: string;
  /** Absent for cluster-scoped resources or to address every namespace. */
  namespace?: string;
}

// RFC 1123 subdomain characters; enough to keep a path segment from escaping its place.
const SEGMENT = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9._:]*[A-Za-z0-9])?$/;

/** `/api/v1/namespaces/ns/pods`, `/apis/apps/v1/deployments`, ... */
export function collectionPath(ref: ResourceRef): string {
  for (const [field, value] of [
    ['version', ref.version],
    ['plural', ref.plural],
  ] as const) {
    if (!SEGMENT.test(value))
      throw new KubeOptionError(field, `bad segment ${JSON.stringify(value)}`);
  }
  if (ref.group && !SEGMENT.test(ref.group)) {
    throw new KubeOptionError('group', `bad API group ${JSON.stringify(ref.group)}`);
  }
  if (ref.namespace !== undefined && !SEGMENT.test(ref.namespace)) {
    throw new KubeOptionError('namespace', `bad namespace ${JSON.stringify(ref.namespace)}`);
  }
  const root = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespace !== undefined ? `/namespaces/${ref.namespace}` : '';
  return `${root}${ns}/${ref.plural}`;
}

/** `/api/v1/namespaces/ns/pods/name[/status]`. */
export function objectPath(ref: ResourceRef, name: string, subresource?: string): string {
  if (!NAME.test(name))
    throw new KubeOptionError('name', `bad object name ${JSON.stringify(name)}`);
  if (subresource !== undefined && !SEGMENT.test(subresource)) {
    throw new KubeOptionError('subresource', `bad subresource ${JSON.stringify(subresource)}`);
  }
  return `${collectionPath(ref)}/${name}${subresource ? `/${subresource}` : ''}`;
}
