import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface EnvContext {
  podIP?: string;
  hostIP: string;
  /** Where the pod's ServiceAccount kubeconfig is. */
  kubeconfig?: string;
  serviceAccountDir?: string;
  /** The node's testbed directory (its CNI net.d, cache and IPAM state live below it). */
  nodeDir?: string;
  apiserverHost: string;
  apiserverPort: number;
  /** The image's own environment (Dockerfile ENV): the base the pod's `env` overrides. */
  imageEnv?: Readonly<Record<string, string>>;
  /** The data of the ConfigMaps the pod's env refers to, read when its sandbox was made. */
  configMaps?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** An env var the testbed cannot provide (e.g. from a Secret); the container does not start. */
export class ContainerEnvError extends Error {
  override readonly name = 'ContainerEnvError';
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment a container starts with: a clean base (nothing of the node runtime's own),
 * HOSTNAME, the in-cluster API variables, KUBECONFIG for the pod's ServiceAccount, then the
 * container's `env` (plain values and the downward-API fieldRefs), in order, with `$(VAR)`
 * references to earlier variables expanded as kubelet does.
 */
export function containerEnv(
  pod: V1Pod,
  container: V1Container,
  ctx: EnvContext,
): Record<string, string> {
  const hostname = pod.spec?.hostNetwork
    ? (pod.spec.nodeName ?? '')
    : (pod.spec?.hostname ?? pod.metadata?.name ?? '');
  const env: Record<string, string> = {
    PATH,
    HOME: '/root',
    HOSTNAME: hostname,
    // The apiserver's underlay address: reachable from every pod without a service proxy, the
    // way kube-proxy replacements are pointed at the real API endpoint.
    KUBERNETES_SERVICE_HOST: ctx.apiserverHost,
    KUBERNETES_SERVICE_PORT: String(ctx.apiserverPort),
    KUBERNETES_SERVICE_PORT_HTTPS: String(ctx.apiserverPort),
    ...ctx.imageEnv,
  };
  if (ctx.kubeconfig) env.KUBECONFIG = ctx.kubeconfig;
  if (ctx.serviceAccountDir) env.SWITCHYARD_SERVICEACCOUNT_DIR = ctx.serviceAccountDir;
  // Without volumes, a node agent (e.g. a CNI DaemonSet) finds the node's net.d through this,
  // e.g. `args: ["--cni-conf-dir=$(SWITCHYARD_TESTBED_NODE_DIR)/net.d"]`.
  if (ctx.nodeDir) env.SWITCHYARD_TESTBED_NODE_DIR = ctx.nodeDir;
  for (const v of container.env ?? []) {
    if (v.value !== undefined) {
      env[v.name] = expandVars(v.value, env);
    } else if (v.valueFrom?.fieldRef) {
      env[v.name] = fieldRef(pod, v.valueFrom.fieldRef.fieldPath, ctx);
    } else if (v.valueFrom?.configMapKeyRef) {
      const { name = '', key, optional } = v.valueFrom.configMapKeyRef;
      const value = ctx.configMaps?.get(name)?.[key];
      if (value !== undefined) env[v.name] = value;
      else if (!optional) {
        throw new ContainerEnvError(`env ${v.name}: configmap ${name} has no key ${key}`);
      }
    } else if (v.valueFrom) {
      throw new ContainerEnvError(
        `env ${v.name}: only value, fieldRef and configMapKeyRef are supported in the testbed`,
      );
    } else {
      env[v.name] = '';
    }
  }
  return env;
}

/** kubelet's `$(VAR)` expansion (`$$` escapes), used for env values, command and args. */
export function expandVars(value: string, env: Record<string, string>): string {
  // $$ escapes; $(NAME) expands when NAME is defined, else stays literally.
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  );
}

function fieldRef(pod: V1Pod, path: string, ctx: EnvContext): string {
  const meta = pod.metadata ?? {};
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) {
    const map = label[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[label[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    default:
      throw new ContainerEnvError(`fieldRef ${path} is not supported`);
  }
}

/** The ConfigMaps a pod's containers take env values from (kubelet reads them before starting). */
export function configMapNames(pod: V1Pod): string[] {
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const names = specs.flatMap((c) =>
    (c.env ?? []).flatMap((v) => {
      const ref = v.valueFrom?.configMapKeyRef;
      return ref?.name ? [ref.name] : [];
    }),
  );
  return [...new Set(names)];
}
