/**
 * Credentials could not be loaded: a kubeconfig that cannot be read or parsed, a file it names
 * that is missing, or a pod environment without its ServiceAccount. `source` is the kubeconfig's
 * path, or `in-cluster`.
 */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  constructor(
    readonly source: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${detail}`, options);
  }
}
