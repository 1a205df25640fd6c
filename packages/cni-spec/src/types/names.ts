import {
  InvalidEnvironmentError,
  InvalidNetworkConfigError,
  UnknownContainerError,
} from '../errors.js';
import { showValue } from './fields.js';

/** libcni's rule for container IDs and network names. */
const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Linux limits interface names to IFNAMSIZ-1 bytes. */
export const MAX_IFNAME_LENGTH = 15;

/** Throws code 3 when empty, code 4 when it has characters libcni rejects. */
export function validateContainerId(id: string): void {
  if (id === '') throw new UnknownContainerError('missing containerID');
  if (!ID.test(id)) {
    throw new InvalidEnvironmentError(
      `invalid characters in containerID ${showValue(id)}`,
      `must match ${ID.source}`,
    );
  }
}

/** Throws code 7 when the network name is empty or has characters libcni rejects. */
export function validateNetworkName(name: string): void {
  if (name === '') throw new InvalidNetworkConfigError('missing network name');
  if (!ID.test(name)) {
    throw new InvalidNetworkConfigError(
      `invalid characters in network name ${showValue(name)}`,
      `must match ${ID.source}`,
    );
  }
}

/** Throws code 4 unless the name is 1-15 bytes, not `.`/`..`, without `/`, `:` or whitespace. */
export function validateIfName(name: string): void {
  const bad = (why: string): never => {
    throw new InvalidEnvironmentError(`invalid interface name ${showValue(name)}: ${why}`);
  };
  if (name === '') bad('empty');
  if (Buffer.byteLength(name) > MAX_IFNAME_LENGTH) bad(`longer than ${MAX_IFNAME_LENGTH} bytes`);
  if (name === '.' || name === '..') bad('. and .. are not allowed');
  if (/[/:\s]/u.test(name)) bad('contains /, : or whitespace');
}
