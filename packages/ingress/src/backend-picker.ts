import type { Canary, WeightedBackend } from './route.js';

/**
 * Picks a backend by weight (share = weight / sum). Weight 0 is never chosen; undefined when
 * nothing has weight (the caller answers 500, as the Gateway API asks).
 */
export function pickWeighted(
  backends: readonly WeightedBackend[],
  random: () => number,
): WeightedBackend | undefined {
  let total = 0;
  for (const b of backends) total += Math.max(0, b.weight);
  if (total <= 0) return undefined;
  let roll = random() * total;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    roll -= b.weight;
    if (roll < 0) return b;
  }
  return backends.filter((b) => b.weight > 0).at(-1);
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * ingress-nginx canary order: the header (value "always"/"never", or the configured value or
 * pattern), then the cookie ("always"/"never"), then the weight.
 */
export function useCanary(
  canary: Canary,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  random: () => number,
): boolean {
  if (canary.header) {
    const raw = headers[canary.header.name];
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (v !== undefined) {
      if (canary.header.value !== undefined) {
        if (v === canary.header.value) return true;
      } else if (canary.header.pattern) {
        if (canary.header.pattern.test(v)) return true;
      } else if (v === 'always') return true;
      else if (v === 'never') return false;
    }
  }
  if (canary.cookie) {
    const v = cookieValue(headers.cookie as string | undefined, canary.cookie);
    if (v === 'always') return true;
    if (v === 'never') return false;
  }
  return random() * canary.weightTotal < canary.weight;
}
