import { IncompatibleVersionError, InvalidNetworkConfigError } from '../errors.js';

/** Every spec version this SDK reads and writes, oldest first. */
export const SUPPORTED_VERSIONS: readonly string[] = Object.freeze([
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.3.1',
  '0.4.0',
  '1.0.0',
  '1.1.0',
]);

/** The newest spec version implemented here. */
export const CURRENT_VERSION = '1.1.0';

/** What a config without `cniVersion` means (libcni's ConfigDecoder reads it as 0.1.0). */
export const DEFAULT_CONFIG_VERSION = '0.1.0';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

function parts(version: string): [number, number, number] {
  const m = SEMVER.exec(version);
  if (!m) {
    throw new InvalidNetworkConfigError(
      `invalid cniVersion ${JSON.stringify(version)}`,
      'expected MAJOR.MINOR.PATCH',
    );
  }
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Orders two MAJOR.MINOR.PATCH strings (negative, zero, positive). */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = pa[i]! - pb[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** True when `version` is at least `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

/** True when the SDK implements this spec version. */
export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_VERSIONS.includes(version);
}

/**
 * Picks the version a network config list runs at: the highest of `cniVersion` and `cniVersions`
 * that `supported` holds (libcni skips versions newer than its implementation; we also skip
 * versions that never existed). Throws code 1 naming the offered versions when none is usable.
 */
export function negotiateVersion(
  cniVersion: string | undefined,
  cniVersions: readonly string[] | undefined,
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string {
  const candidates = [...(cniVersions ?? []), ...(cniVersion ? [cniVersion] : [])];
  const picked = candidates
    .filter((v) => supported.includes(v))
    .sort(compareVersions)
    .at(-1);
  if (!picked) {
    throw new IncompatibleVersionError(
      `no supported CNI version among [${candidates.join(', ')}]`,
      `supported: ${supported.join(', ')}`,
    );
  }
  return picked;
}
