import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '@switchyard/linux';
import { TestbedStateError } from './errors.js';

/** The repository root: this file is `<root>/packages/testbed/{src,dist}/binaries.{ts,js}`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
}

/**
 * Locates the control-plane binaries built by `tools/k8s/build.sh` (cached outside the repo,
 * keyed by the versions in tools/k8s/versions.env). `SWITCHYARD_K8S_BIN_DIR` and
 * `SWITCHYARD_ETCD_BIN_DIR` override the lookup.
 */
export async function findBinaries(): Promise<ControlPlaneBinaries> {
  const script = `${REPO_ROOT}/tools/k8s/build.sh`;
  const k8s =
    process.env.SWITCHYARD_K8S_BIN_DIR ??
    (await run(['bash', script, '--print-bin-dir'])).stdout.trim();
  const etcd =
    process.env.SWITCHYARD_ETCD_BIN_DIR ??
    (await run(['bash', script, '--print-bin-dir', 'etcd'])).stdout.trim();
  const bins: ControlPlaneBinaries = {
    etcd: `${etcd}/etcd`,
    kubeApiserver: `${k8s}/kube-apiserver`,
    kubeControllerManager: `${k8s}/kube-controller-manager`,
    kubeScheduler: `${k8s}/kube-scheduler`,
    kubectl: `${k8s}/kubectl`,
  };
  const missing = Object.values(bins).filter((path) => {
    try {
      accessSync(path, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new TestbedStateError(
      'binaries',
      `missing ${missing.join(', ')}; build them with tools/k8s/build.sh (npm run bootstrap does)`,
    );
  }
  return bins;
}
