import { existsSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './binaries.js';
import { TestbedStateError } from './errors.js';

const APP = `${REPO_ROOT}/apps/switchyard-cni`;
/** The distribution's pod network, as a cluster operator would `kubectl apply` it. */
export const SWITCHYARD_CNI_MANIFEST = `${APP}/manifests/switchyard-cni.yaml`;
/** What the manifest's agent runs (`switchyard-agent`) and installs on each node (the shim). */
const BUILT = [`${APP}/dist/agent/main.js`, `${APP}/dist/switchyard-cni`];

/** Refuses early (before anything is made) when the agent or its shim has not been built. */
export function checkSwitchyardCniBuilt(testbed: string): void {
  const missing = BUILT.filter((p) => !existsSync(p));
  if (missing.length) {
    throw new TestbedStateError(
      testbed,
      `cni "switchyard" needs ${missing.join(' and ')}; build them with ` +
        '`npm run build:shim -w @switchyard/app-cni && npx tsc -b apps/switchyard-cni/tsconfig.lib.json`' +
        ' (or use cni "reference-bridge")',
    );
  }
}

/**
 * The manifest with this testbed's cluster CIDR in the agent's ConfigMap (what a user edits
 * before applying when their podSubnet is not the default); everything else as shipped.
 */
export function switchyardCniManifest(clusterCidr: string, path = SWITCHYARD_CNI_MANIFEST): string {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  let found = false;
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    if (doc.get('kind') === 'ConfigMap' && doc.getIn(['metadata', 'name']) === 'switchyard-agent') {
      doc.setIn(['data', 'cluster-cidr'], clusterCidr);
      found = true;
    }
  }
  if (!found) throw new Error(`${path}: no ConfigMap switchyard-agent`);
  // Every document after the first prints its own `---`.
  return docs.map((d) => d.toString()).join('');
}
