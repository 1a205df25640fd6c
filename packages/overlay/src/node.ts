import { ipFamily, isMac } from '@switchyard/linux';

/** Node annotations the overlay reads and the node agent writes on its own Node. */
export const ANNOTATION_VTEP_MAC = 'switchyard.dev/vtep-mac';
export const ANNOTATION_PUBLIC_IP = 'switchyard.dev/public-ip';
export const ANNOTATION_BACKEND = 'switchyard.dev/backend';

/** What the overlay needs to know about a node. */
export interface OverlayNode {
  name: string;
  /** `spec.podCIDRs` (or the single `spec.podCIDR`). */
  podCIDRs: string[];
  /** `status.addresses` of type InternalIP. */
  internalIPs: string[];
  /** MAC of the node's VXLAN device, from its annotation. */
  vtepMac?: string;
  /** Underlay address to tunnel to when it differs from the InternalIP. */
  publicIP?: string;
}

/** The fields of a Kubernetes Node object that matter here (structurally, so no client is needed). */
export interface NodeObject {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export function overlayNodeFromObject(node: NodeObject): OverlayNode {
  const annotations = node.metadata?.annotations ?? {};
  const podCIDRs = node.spec?.podCIDRs?.length
    ? node.spec.podCIDRs
    : node.spec?.podCIDR
      ? [node.spec.podCIDR]
      : [];
  const out: OverlayNode = {
    name: node.metadata?.name ?? '',
    podCIDRs: [...podCIDRs],
    internalIPs: (node.status?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP')
      .map((a) => a.address),
  };
  const mac = annotations[ANNOTATION_VTEP_MAC];
  if (mac !== undefined) out.vtepMac = mac.toLowerCase();
  const publicIP = annotations[ANNOTATION_PUBLIC_IP];
  if (publicIP !== undefined) out.publicIP = publicIP;
  return out;
}

/** The annotations a node agent sets on its own Node so the other nodes can reach it. */
export function overlayAnnotations(local: {
  vtepMac: string;
  publicIP: string;
  backend: string;
}): Record<string, string> {
  return {
    [ANNOTATION_VTEP_MAC]: local.vtepMac,
    [ANNOTATION_PUBLIC_IP]: local.publicIP,
    [ANNOTATION_BACKEND]: local.backend,
  };
}

/** The underlay address to reach `node` at, in the given family: the public-ip annotation first. */
export function underlayAddress(node: OverlayNode, family: 4 | 6): string | undefined {
  const candidates = [node.publicIP, ...node.internalIPs].filter(
    (a): a is string => a !== undefined,
  );
  return candidates.find((a) => safeFamily(a) === family);
}

export function validVtepMac(mac: string | undefined): mac is string {
  return mac !== undefined && isMac(mac);
}

function safeFamily(address: string): 4 | 6 | undefined {
  try {
    return ipFamily(address);
  } catch {
    return undefined;
  }
}
