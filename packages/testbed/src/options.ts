import { COMPONENTS, type Component } from './distribution.js';
import { TestbedOptionError } from './errors.js';
import { cidrsOverlap, formatCidr, formatIpv4, parseIpv4Cidr } from './ipv4.js';

/** How a node gets its CNI configuration. */
export type CniMode =
  /**
   * The Switchyard distribution's pod network: nodes start as with `external`, then the testbed
   * applies the `cni` part of `deploy/overlays/testbed` and waits until every node is Ready.
   */
  | 'switchyard'
  /** The testbed writes a reference bridge + host-local conflist with the node's podCIDR. */
  | 'reference-bridge'
  /** Someone else (a CNI node agent) writes the conflist into the node's net.d directory. */
  | 'external';

export interface TestbedOptions {
  /** Names the testbed: its namespaces are `syt-<name>-*`, its state `<stateRoot>/<name>`. */
  name?: string;
  nodes?: number;
  /** The lab's underlay network (IPv4, /16 to /28); the lab takes .1, node i takes .(1+i). */
  underlay?: string;
  /** Kubernetes cluster CIDR, split into /24 podCIDRs by kube-controller-manager. */
  clusterCidr?: string;
  serviceCidr?: string;
  /** Where the state directories live (tmpfs, like the namespaces, so a reboot clears both). */
  stateRoot?: string;
  cni?: CniMode;
  /**
   * The distribution's other components to install (from deploy/overlays/testbed) once the pod
   * network is up; `startTestbed` waits until their workloads are ready and, with `dns`, until
   * the cluster DNS answers. Default none. Needs `cni` `switchyard` or `reference-bridge`.
   */
  components?: readonly Component[];
  /** Directories searched for CNI plugin binaries, in order. */
  cniBinDirs?: string[];
  /** How long `startTestbed` waits for the cluster to be ready. */
  readyTimeoutMs?: number;
  /** Progress lines (one per step); silent when absent. */
  log?: (line: string) => void;
}

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  name: string;
  nodes: number;
  underlay: string;
  underlayPrefix: number;
  labIP: string;
  nodeIPs: string[];
  clusterCidr: string;
  serviceCidr: string;
  /** The `kubernetes` Service address (first of the service range). */
  kubernetesServiceIP: string;
  /** Cluster DNS address (tenth of the service range, as in kind). */
  clusterDNS: string;
  clusterDomain: string;
  stateRoot: string;
  stateDir: string;
  cni: CniMode;
  /** Distinct, in the order of COMPONENTS. */
  components: Component[];
  cniBinDirs: string[];
  readyTimeoutMs: number;
}

export const DEFAULT_NAME = 'main';
export const DEFAULT_STATE_ROOT = '/run/switchyard-testbed';
export const NAME_PATTERN = /^[a-z0-9]{1,12}$/;
export const MAX_NODES = 20;
export const CNI_MODES: readonly CniMode[] = ['switchyard', 'reference-bridge', 'external'];

/** Checks the options and fills in defaults; throws TestbedOptionError on bad input. */
export function resolveOptions(options: TestbedOptions = {}): ResolvedOptions {
  const name = options.name ?? DEFAULT_NAME;
  if (!NAME_PATTERN.test(name)) {
    throw new TestbedOptionError(
      'name',
      `must match ${NAME_PATTERN.source}, got ${JSON.stringify(name)}`,
    );
  }
  const nodes = options.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new TestbedOptionError(
      'nodes',
      `must be an integer from 1 to ${MAX_NODES}, got ${nodes}`,
    );
  }
  const underlay = parseIpv4Cidr(options.underlay ?? '172.31.255.0/24', 'underlay');
  if (underlay.prefix < 16 || underlay.prefix > 28) {
    throw new TestbedOptionError('underlay', `prefix must be /16 to /28, got /${underlay.prefix}`);
  }
  // .1 is the lab, .(1+i) node i; the last address is broadcast.
  if (nodes + 2 > 2 ** (32 - underlay.prefix) - 1) {
    throw new TestbedOptionError(
      'underlay',
      `${formatCidr(underlay)} is too small for ${nodes} nodes`,
    );
  }
  const cluster = parseIpv4Cidr(options.clusterCidr ?? '10.244.0.0/16', 'clusterCidr');
  if (cluster.prefix > 20) {
    throw new TestbedOptionError('clusterCidr', `must be /20 or larger to hold /24 podCIDRs`);
  }
  const service = parseIpv4Cidr(options.serviceCidr ?? '10.96.0.0/16', 'serviceCidr');
  if (service.prefix < 12 || service.prefix > 24) {
    throw new TestbedOptionError(
      'serviceCidr',
      `prefix must be /12 to /24, got /${service.prefix}`,
    );
  }
  const ranges = { underlay, clusterCidr: cluster, serviceCidr: service };
  const entries = Object.entries(ranges);
  for (const [i, [aName, a]] of entries.entries()) {
    for (const [bName, b] of entries.slice(i + 1)) {
      if (cidrsOverlap(a, b)) throw new TestbedOptionError(bName, `overlaps ${aName}`);
    }
  }
  const nodeIPs = Array.from({ length: nodes }, (_, i) => formatIpv4(underlay.network + 2 + i));
  const cni = options.cni ?? 'switchyard';
  if (!CNI_MODES.includes(cni)) {
    throw new TestbedOptionError(
      'cni',
      `must be one of ${CNI_MODES.join(', ')}, got ${String(cni)}`,
    );
  }
  const asked = options.components ?? [];
  if (!Array.isArray(asked)) throw new TestbedOptionError('components', 'must be an array');
  for (const c of asked) {
    if (!COMPONENTS.includes(c)) {
      throw new TestbedOptionError(
        'components',
        `each must be one of ${COMPONENTS.join(', ')}, got ${JSON.stringify(c)}`,
      );
    }
  }
  if (asked.length && cni === 'external') {
    throw new TestbedOptionError(
      'components',
      'need a pod network the testbed brings up: cni "switchyard" or "reference-bridge"',
    );
  }
  const components = COMPONENTS.filter((c) => asked.includes(c));
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  if (!(readyTimeoutMs > 0)) throw new TestbedOptionError('readyTimeoutMs', 'must be positive');
  const stateRoot = options.stateRoot ?? DEFAULT_STATE_ROOT;
  if (!stateRoot.startsWith('/')) throw new TestbedOptionError('stateRoot', 'must be absolute');
  return {
    name,
    nodes,
    underlay: formatCidr(underlay),
    underlayPrefix: underlay.prefix,
    labIP: formatIpv4(underlay.network + 1),
    nodeIPs,
    clusterCidr: formatCidr(cluster),
    serviceCidr: formatCidr(service),
    kubernetesServiceIP: formatIpv4(service.network + 1),
    clusterDNS: formatIpv4(service.network + 10),
    clusterDomain: 'cluster.local',
    stateRoot,
    stateDir: `${stateRoot}/${name}`,
    cni,
    components,
    cniBinDirs: options.cniBinDirs ?? ['/usr/lib/cni'],
    readyTimeoutMs,
  };
}
