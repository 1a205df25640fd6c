import type { Condition } from './gateway-types.js';

/** A condition without lastTransitionTime (the status writer keeps or stamps it). */
export function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  observedGeneration?: number,
): Condition {
  const c: Condition = { type, status: ok ? 'True' : 'False', reason, message };
  if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
  return c;
}

/**
 * Stamps `lastTransitionTime`: kept from the previous condition of the same type when its status
 * did not change (the API's meaning of the field), else `now`.
 */
export function stampConditions(
  next: readonly Condition[],
  previous: readonly Condition[] | undefined,
  now: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      lastTransitionTime:
        old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now,
    };
  });
}

/** Compares conditions ignoring lastTransitionTime and order (to skip writes that change nothing). */
export function sameConditions(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const key = (cs: readonly Condition[] | undefined): string =>
    JSON.stringify(
      (cs ?? [])
        .map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration ?? null])
        .sort(),
    );
  return key(a) === key(b);
}
