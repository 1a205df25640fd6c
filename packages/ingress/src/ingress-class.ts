import type { Ingress, IngressClass } from './api-types.js';

export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * Which Ingresses a controller owns: `spec.ingressClassName` naming an IngressClass whose
 * `spec.controller` is ours; else the legacy `kubernetes.io/ingress.class` annotation naming such a
 * class; else (no class at all) only if one of our IngressClasses is marked default. Ingresses of
 * other classes are not ours: their status must be left alone.
 */
export function selectOwnedIngresses(
  ingresses: readonly Ingress[],
  classes: readonly IngressClass[],
  controller: string,
): Ingress[] {
  const ours = new Set(
    classes.filter((c) => c.spec.controller === controller).map((c) => c.metadata.name),
  );
  const defaultIsOurs = classes.some(
    (c) =>
      c.spec.controller === controller &&
      c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  );
  return ingresses.filter((ing) => {
    const name = ing.spec.ingressClassName ?? ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    return name === undefined ? defaultIsOurs : ours.has(name);
  });
}
