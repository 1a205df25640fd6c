import { OverlayError } from './errors.js';

/**
 * `vxlan`: every remote node through the VXLAN device (flannel's vxlan backend).
 * `direct`: a plain route via the remote node's address (kindnet, flannel host-gw); needs shared L2.
 * `auto`: direct for nodes on the local underlay subnet, VXLAN for the rest (flannel DirectRouting).
 */
export type OverlayMode = 'vxlan' | 'direct' | 'auto';

export interface OverlayConfig {
  mode: OverlayMode;
  /** VXLAN network identifier. */
  vni: number;
  /** VXLAN UDP port (flannel's 8472 by default; IANA's is 4789). */
  port: number;
  /** Name of the VXLAN device. */
  device: string;
  /** Route protocol number that marks our routes (`ip route ... proto 77`). */
  protocol: number;
}

export const DEFAULT_CONFIG: OverlayConfig = {
  mode: 'vxlan',
  vni: 1,
  port: 8472,
  device: 'switchyard.1',
  protocol: 77,
};

/** Fills in defaults and rejects values the kernel would refuse. */
export function overlayConfig(input: Partial<OverlayConfig> = {}): OverlayConfig {
  const c = { ...DEFAULT_CONFIG, ...input };
  if (!['vxlan', 'direct', 'auto'].includes(c.mode)) {
    throw new OverlayError(
      `mode must be vxlan, direct or auto, got ${JSON.stringify(c.mode)}`,
      'config.mode',
    );
  }
  integer(c.vni, 1, 0xffffff, 'config.vni');
  integer(c.port, 1, 0xffff, 'config.port');
  // 0-4 are the kernel's own (unspec, redirect, kernel, boot, static); 255 is the top of the u8.
  integer(c.protocol, 5, 255, 'config.protocol');
  if (!/^[^\s/:]{1,15}$/.test(c.device)) {
    throw new OverlayError(
      `device must be a valid interface name, got ${JSON.stringify(c.device)}`,
      'config.device',
    );
  }
  return c;
}

function integer(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OverlayError(`${field} must be an integer in ${min}..${max}, got ${value}`, field);
  }
}
