import {
  desiredState,
  overlayConfig,
  overlayNodeFromObject,
  type DesiredState,
  type NodeObject,
  type OverlayConfig,
  type OverlayMode,
  type Underlay,
} from '@switchyard/overlay';

export interface PlanInput {
  nodes: readonly NodeObject[];
  localNode: string;
  mode: OverlayMode;
  underlay: Underlay;
  /** This node's VXLAN device MAC (the agent keeps it across restarts, see chooseVtepMac). */
  vtepMac: string;
}

/** The overlay state one node should hold, as the node agent computes it on every Node change. */
export function planFor(input: PlanInput): { config: OverlayConfig; desired: DesiredState } {
  const config = overlayConfig({ mode: input.mode });
  const desired = desiredState({
    nodes: input.nodes.map(overlayNodeFromObject),
    localNode: input.localNode,
    config,
    underlay: input.underlay,
    vtepMac: input.vtepMac,
  });
  return { config, desired };
}

/** The state as the `ip`/`bridge` commands that would create it (the reconciler uses netlink). */
export function formatPlan({
  config,
  desired,
}: {
  config: OverlayConfig;
  desired: DesiredState;
}): string {
  const lines: string[] = [];
  const d = desired.device;
  if (d) {
    lines.push(
      `ip link add ${d.name} type vxlan id ${d.vni} local ${d.local} dev ${d.dev} dstport ${d.port} nolearning`,
      `ip link set ${d.name} address ${d.mac} mtu ${d.mtu} up`,
      ...d.addresses.map((a) => `ip address add ${a} dev ${d.name}`),
    );
  }
  for (const r of desired.routes) {
    const via = `via ${r.gateway}${r.dev ? ` dev ${r.dev}` : ''}${r.onlink ? ' onlink' : ''}`;
    lines.push(`ip route replace ${r.dst} ${via} proto ${config.protocol}`);
  }
  for (const n of desired.neighbours) {
    lines.push(`ip neigh replace ${n.ip} lladdr ${n.mac} dev ${n.dev} nud permanent`);
  }
  for (const f of desired.fdb) lines.push(`bridge fdb append ${f.mac} dev ${f.dev} dst ${f.dst}`);
  for (const s of desired.skipped) lines.push(`# skipped ${s.node}: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}
