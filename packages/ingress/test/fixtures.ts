import type { HTTPIngressPath, HTTPRoute, Ingress } from '../src/api-types.js';

/** A Prefix (unless said) Ingress path to a service named after the path. */
export function ipath(
  path: string,
  pathType: HTTPIngressPath['pathType'] = 'Prefix',
  svc?: string,
): HTTPIngressPath {
  return {
    path,
    pathType,
    backend: { service: { name: svc ?? `svc${path}`, port: { number: 80 } } },
  };
}

export function ingress(
  name: string,
  spec: Ingress['spec'],
  extra: { annotations?: Record<string, string>; created?: string; namespace?: string } = {},
): Ingress {
  const metadata: Ingress['metadata'] = { name, namespace: extra.namespace ?? 'default' };
  if (extra.annotations) metadata.annotations = extra.annotations;
  if (extra.created) metadata.creationTimestamp = extra.created;
  return { metadata, spec };
}

export function httpRoute(
  name: string,
  spec: HTTPRoute['spec'],
  extra: { created?: string; namespace?: string } = {},
): HTTPRoute {
  const metadata: HTTPRoute['metadata'] = { name, namespace: extra.namespace ?? 'default' };
  if (extra.created) metadata.creationTimestamp = extra.created;
  return { metadata, spec };
}
