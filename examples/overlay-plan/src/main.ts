#!/usr/bin/env node
import type { OverlayMode } from '@switchyard/overlay';
import { LOCAL_NODE, nodes, underlay } from './cluster.js';
import { formatPlan, planFor } from './plan.js';

// overlay-plan [vxlan|direct|auto]: what node-a of the made-up cluster would program.
const mode = (process.argv[2] ?? 'vxlan') as OverlayMode;
try {
  const plan = planFor({
    nodes,
    localNode: LOCAL_NODE,
    mode,
    underlay,
    vtepMac: '0a:00:00:00:00:0a',
  });
  process.stdout.write(formatPlan(plan));
} catch (e) {
  console.error(`overlay-plan: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
