import { randomBytes } from 'node:crypto';
import { bytesToMac, isMac } from '@switchyard/linux';

/**
 * The VTEP MAC to use: the one the existing device already has (so a restarted agent keeps the
 * address every other node has programmed), else a fresh random locally administered unicast one.
 */
export function chooseVtepMac(
  existing: string | undefined,
  random: (n: number) => Buffer = randomBytes,
): string {
  if (existing !== undefined && isMac(existing) && existing !== '00:00:00:00:00:00')
    return existing.toLowerCase();
  const bytes = random(6);
  // Locally administered (bit 1 set), unicast (bit 0 clear).
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return bytesToMac(bytes);
}
