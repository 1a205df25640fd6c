import { mkdir, rename, writeFile } from 'node:fs/promises';
import {
  CniRuntime,
  type NetworkConfigList,
  type RuntimeConf,
  loadConfList,
} from '@switchyard/cni-spec';
import type { V1Pod } from '@kubernetes/client-node';
import type { NetworkReadiness } from './node-status.js';

export const CONFLIST_NAME = '10-testbed-bridge.conflist';

/** Identity of one pod attachment, as kubelet passes it to CNI. */
export interface PodAttachment {
  containerId: string;
  netnsPath: string;
  namespace: string;
  name: string;
  uid: string;
  portMappings: PortMapping[];
}

/** One hostPort, as kubelet hands it to CNI plugins with the `portMappings` capability. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** The hostPorts of a pod's containers (kubelet's portMappings; hostNetwork pods have none). */
export function portMappings(pod: V1Pod): PortMapping[] {
  if (pod.spec?.hostNetwork) return [];
  return (pod.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).flatMap((p) =>
      p.hostPort
        ? [
            {
              hostPort: p.hostPort,
              containerPort: p.containerPort,
              protocol: (p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'],
              ...(p.hostIP ? { hostIP: p.hostIP } : {}),
            },
          ]
        : [],
    ),
  );
}

/**
 * The reference bridge + host-local conflist for a node's podCIDR, as the testbed's default
 * network until the Switchyard CNI writes its own (the bridge is the pods' gateway; no masquerade:
 * pods reach only their node and, through the lab's routes, the apiserver).
 */
export function referenceConflist(podCidr: string, ipamDataDir: string): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'testbed',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: ipamDataDir,
        },
      },
    ],
  };
}

/** Writes a conflist atomically (temp file + rename), as kindnet does, so a reader never sees half. */
export async function writeConflist(dir: string, name: string, conf: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = `${dir}/${name}`;
  await writeFile(`${path}.tmp`, JSON.stringify(conf, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
  return path;
}

/** The CNI side of the node: the conflist in its own net.d, run through cni-spec's runtime. */
export class PodNetwork {
  private readonly runtime: CniRuntime;
  /** The last STATUS answer per conflist text, and when it was asked. */
  private status: { key: string; at: number; error?: string } | undefined;

  constructor(
    readonly confDir: string,
    pluginPaths: string[],
    cacheDir: string,
    /** How long a STATUS answer stands before the plugins are asked again. */
    private readonly statusTtlMs = 10_000,
  ) {
    this.runtime = new CniRuntime({ pluginPaths, cacheDir, execTimeoutMs: 30_000 });
  }

  /**
   * Ready when a conflist loads from the node's net.d and, for CNI 1.1 networks, its plugins
   * answer STATUS, as containerd reports NetworkReady to kubelet.
   */
  async readiness(): Promise<NetworkReadiness> {
    const notReady = (why: string): NetworkReadiness => ({
      ready: false,
      message: `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:${why}`,
    });
    let list: NetworkConfigList;
    try {
      list = await loadConfList(this.confDir);
    } catch (e) {
      return notReady(`cni config uninitialized (${e instanceof Error ? e.message : String(e)})`);
    }
    const key = list.bytes?.toString() ?? JSON.stringify(list);
    if (!this.status || this.status.key !== key || Date.now() - this.status.at > this.statusTtlMs) {
      let error: string | undefined;
      try {
        await this.runtime.getStatusNetworkList(list);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      this.status = { key, at: Date.now(), ...(error !== undefined ? { error } : {}) };
    }
    if (this.status.error !== undefined) {
      return notReady(`CNI network ${list.name} STATUS failed: ${this.status.error}`);
    }
    return { ready: true, message: `kubelet is posting ready status (CNI network ${list.name})` };
  }

  /** CNI ADD; resolves with the pod's first IPv4 address. */
  async add(a: PodAttachment): Promise<string | undefined> {
    const list = await loadConfList(this.confDir);
    const result = await this.runtime.addNetworkList(list, runtimeConf(a));
    const ip = result.ips?.find((i) => !i.address.includes(':')) ?? result.ips?.[0];
    return ip?.address.split('/')[0];
  }

  async del(a: PodAttachment): Promise<void> {
    const list: NetworkConfigList = await loadConfList(this.confDir);
    await this.runtime.delNetworkList(list, runtimeConf(a));
  }
}

/** kubelet's CNI_ARGS and the pod's interface name. */
export function runtimeConf(a: PodAttachment): RuntimeConf {
  return {
    containerId: a.containerId,
    netns: a.netnsPath,
    ifName: 'eth0',
    args: [
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', a.namespace],
      ['K8S_POD_NAME', a.name],
      ['K8S_POD_INFRA_CONTAINER_ID', a.containerId],
      ['K8S_POD_UID', a.uid],
    ],
    ...(a.portMappings.length ? { capabilityArgs: { portMappings: a.portMappings } } : {}),
  };
}
