const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/**
 * Parses a Gateway API Duration (GEP-2257: one to four `<1-5 digits><h|m|s|ms>` parts, e.g.
 * `1h`, `500ms`, `1m30s`) into milliseconds; undefined if it is not one.
 */
export function parseGatewayDuration(value: string): number | undefined {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return total;
}
