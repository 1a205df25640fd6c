import { InvalidEnvironmentError, UnsupportedFieldError } from '../errors.js';
import { showValue } from './fields.js';

/**
 * Parses CNI_ARGS (`K=V;K2=V2`). Empty segments are skipped; a segment without `=` or with an
 * empty key is code 4 naming it.
 */
export function parseCniArgs(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of raw.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new InvalidEnvironmentError(
        `CNI_ARGS: invalid pair ${showValue(pair)}`,
        'expected K=V',
      );
    }
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/** Formats key/value pairs as CNI_ARGS. */
export function formatCniArgs(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs].map(([k, v]) => `${k}=${v}`).join(';');
}

/**
 * Rejects CNI_ARGS keys a plugin does not know (code 2 naming key and value), as the reference
 * plugins do, unless `IgnoreUnknown` is `true`/`1`.
 */
export function checkCniArgs(args: ReadonlyMap<string, string>, known: readonly string[]): void {
  const ignore = args.get('IgnoreUnknown');
  if (ignore !== undefined && /^(1|true)$/i.test(ignore)) return;
  for (const [key, value] of args) {
    if (key === 'IgnoreUnknown' || known.includes(key)) continue;
    throw new UnsupportedFieldError(
      `CNI_ARGS: unknown key ${showValue(key)} (value ${showValue(value)})`,
      `known keys: ${known.join(', ') || 'none'}; set IgnoreUnknown=true to ignore`,
    );
  }
}
