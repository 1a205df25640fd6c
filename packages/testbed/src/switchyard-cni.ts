import { existsSync } from 'node:fs';
import { REPO_ROOT } from './binaries.js';
import { TestbedStateError } from './errors.js';

const APP = `${REPO_ROOT}/apps/switchyard-cni`;
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
