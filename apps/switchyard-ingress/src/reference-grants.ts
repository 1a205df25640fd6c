import type { ReferenceGrant } from './gateway-types.js';

export interface GrantFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface GrantTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Whether a ReferenceGrant in the target's namespace lets `from` refer to `to`. A reference
 * within one namespace needs no grant; `to.name` absent in the grant means any name.
 */
export function referencePermitted(
  grants: readonly ReferenceGrant[],
  from: GrantFrom,
  to: GrantTo,
): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some(
    (g) =>
      (g.metadata.namespace ?? 'default') === to.namespace &&
      g.spec.from.some(
        (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
      ) &&
      g.spec.to.some(
        (t) =>
          t.group === to.group &&
          t.kind === to.kind &&
          (t.name === undefined || t.name === '' || t.name === to.name),
      ),
  );
}
