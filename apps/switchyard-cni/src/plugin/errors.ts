import { CniError } from '@switchyard/cni-spec/plugin';

/**
 * Plugin-defined CNI codes (100 and up belong to plugins). The IPAM codes 100-103 come from
 * @switchyard/ipam (exhausted, already allocated, requested address, not allocated) and keep
 * their meaning here.
 */
export const PluginCode = {
  /** CNI_IFNAME already exists in the pod namespace (the spec requires ADD to fail). */
  InterfaceExists: 110,
  /** The bridge name is taken by a device that is not a bridge. */
  BridgeConflict: 111,
  /** CHECK found the attachment different from what ADD made. */
  CheckFailed: 112,
} as const;

export function interfaceExists(ifName: string, netns: string): CniError {
  return new CniError(PluginCode.InterfaceExists, `interface ${ifName} already exists`, netns);
}

export function bridgeConflict(name: string, kind: string | undefined): CniError {
  return new CniError(
    PluginCode.BridgeConflict,
    `device ${name} exists and is not a bridge`,
    `kind ${kind ?? 'none'}`,
  );
}

export function checkFailed(what: string): CniError {
  return new CniError(PluginCode.CheckFailed, 'CHECK failed', what);
}
