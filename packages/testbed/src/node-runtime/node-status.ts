import { arch, release } from 'node:os';
import type { V1Node } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { MERGE_PATCH, microTime } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import { type Logger, errorMessage, httpStatus } from './logger.js';

/** Whether pods can be networked yet; the Ready condition follows it, as kubelet's does. */
export interface NetworkReadiness {
  ready: boolean;
  message: string;
}

const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_SECONDS = 40;
/** Node status and lease renewal period (kubelet's defaults are 10 s for the lease). */
export const HEARTBEAT_MS = 10_000;
const NETWORK_CHECK_MS = 1000;

// Capacity is nominal: the scheduler needs numbers, and nothing here enforces them.
const CAPACITY = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' };

/** Registers the Node, keeps its Ready condition and Lease fresh, and learns its podCIDR. */
export class NodeStatus {
  private timer: NodeJS.Timeout | undefined;
  private networkTimer: NodeJS.Timeout | undefined;
  private readyCondition: { status: 'True' | 'False'; since: string; message: string };
  private kubeletVersion = 'v0.0.0';

  constructor(
    private readonly api: NodeApi,
    private readonly config: NodeRuntimeConfig,
    private readonly network: () => Promise<NetworkReadiness>,
    private readonly log: Logger,
  ) {
    this.readyCondition = { status: 'False', since: new Date().toISOString(), message: 'starting' };
  }

  /** Creates the Node object (or adopts the existing one), with its InternalIP and capacity. */
  async register(): Promise<void> {
    try {
      const v = await this.api.version.getCode();
      this.kubeletVersion = `${v.gitVersion}`;
    } catch (e) {
      this.log('warn', 'cannot read the apiserver version', { error: errorMessage(e) });
    }
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.config.nodeName,
        labels: {
          'kubernetes.io/hostname': this.config.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': goArch(),
          'switchyard.dev/testbed': this.config.testbed,
        },
      },
      spec: {},
      status: await this.status(),
    } as unknown as V1Node;
    try {
      await this.api.core.createNode({ body: node });
      this.log('info', 'node registered', { internalIP: this.config.internalIP });
    } catch (e) {
      if (httpStatus(e) !== 409) throw e;
      this.log('info', 'node already registered; adopting it');
    }
    await this.heartbeat();
  }

  /** Polls the Node until kube-controller-manager has assigned `spec.podCIDR`. */
  async waitForPodCidr(stopped: () => boolean): Promise<string> {
    for (;;) {
      try {
        const node = await this.api.core.readNode({ name: this.config.nodeName });
        const cidr = node.spec?.podCIDR;
        if (cidr) return cidr;
      } catch (e) {
        this.log('warn', 'reading the node failed', { error: errorMessage(e) });
      }
      if (stopped()) throw new Error('stopped');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    // Network readiness is checked every second, so a conflist written by a CNI agent makes the
    // node Ready at once rather than at the next heartbeat.
    this.networkTimer = setInterval(() => void this.checkNetwork(), NETWORK_CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.networkTimer);
  }

  private async checkNetwork(): Promise<void> {
    const ready = (await this.network()).ready ? 'True' : 'False';
    if (ready !== this.readyCondition.status) await this.heartbeat();
  }

  /** Re-evaluates network readiness and patches the node status and lease now. */
  async heartbeat(): Promise<void> {
    try {
      await this.api.core.patchNodeStatus(
        { name: this.config.nodeName, body: { status: await this.status() } },
        MERGE_PATCH,
      );
    } catch (e) {
      this.log('warn', 'node status update failed', { error: errorMessage(e) });
    }
    try {
      await this.renewLease();
    } catch (e) {
      this.log('warn', 'node lease renewal failed', { error: errorMessage(e) });
    }
  }

  private async status(): Promise<Record<string, unknown>> {
    const net = await this.network();
    const status = net.ready ? 'True' : 'False';
    if (status !== this.readyCondition.status) {
      this.readyCondition = { status, since: new Date().toISOString(), message: net.message };
      this.log('info', `node Ready=${status}`, { message: net.message });
    }
    const now = new Date().toISOString();
    const pressure = (type: string, reason: string): Record<string, string> => ({
      type,
      status: 'False',
      reason,
      message: 'the testbed does not measure this',
      lastHeartbeatTime: now,
      lastTransitionTime: this.readyCondition.since,
    });
    return {
      addresses: [
        { type: 'InternalIP', address: this.config.internalIP },
        { type: 'Hostname', address: this.config.nodeName },
      ],
      capacity: CAPACITY,
      allocatable: CAPACITY,
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID'),
        {
          type: 'Ready',
          status,
          reason: net.ready ? 'KubeletReady' : 'KubeletNotReady',
          message: net.message,
          lastHeartbeatTime: now,
          lastTransitionTime: this.readyCondition.since,
        },
      ],
      nodeInfo: {
        machineID: this.config.nodeName,
        systemUUID: this.config.nodeName,
        bootID: this.config.netns,
        kernelVersion: release(),
        osImage: 'Switchyard testbed (network namespaces)',
        containerRuntimeVersion: 'switchyard-testbed://0.0.0',
        kubeletVersion: this.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
  }

  private async renewLease(): Promise<void> {
    const name = this.config.nodeName;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: LEASE_SECONDS,
      renewTime: microTime(),
    };
    try {
      await this.api.coordination.patchNamespacedLease(
        { name, namespace: LEASE_NAMESPACE, body: { spec } },
        MERGE_PATCH,
      );
    } catch (e) {
      if (httpStatus(e) !== 404) throw e;
      // Created without renewTime (the generated serializer would send milliseconds), then patched.
      await this.api.coordination.createNamespacedLease({
        namespace: LEASE_NAMESPACE,
        body: {
          metadata: { name, namespace: LEASE_NAMESPACE },
          spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS },
        },
      });
      await this.api.coordination.patchNamespacedLease(
        { name, namespace: LEASE_NAMESPACE, body: { spec } },
        MERGE_PATCH,
      );
    }
  }
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}
