import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { isProcessAlive, run, runUnchecked } from '@switchyard/linux';
import { writeKubeconfig } from '../kubeconfig.js';
import { netnsEtcDir, podNetns } from '../layout.js';
import { killProcessesIn } from '../teardown.js';
import type { NodeApi } from './api.js';
import type { NodeRuntimeConfig } from './config.js';
import { type Logger, errorMessage } from './logger.js';
import {
  type PodAttachment,
  type PodNetwork,
  type PortMapping,
  portMappings,
} from './pod-network.js';
import { renderHosts, renderResolvConf } from './resolv-conf.js';

/** A pod's sandbox: its namespace and attachment, recorded on disk before anything is made. */
export interface SandboxRecord {
  uid: string;
  namespace: string;
  name: string;
  netns: string;
  hostNetwork: boolean;
  containerId: string;
  podIP?: string;
  /** The CNI `portMappings` capability args (the containers' hostPorts), sent at ADD and DEL. */
  portMappings?: PortMapping[];
  /** The pod's ServiceAccount kubeconfig and token directory, when one is mounted. */
  kubeconfig?: string;
  serviceAccountDir?: string;
}

/** kubelet asks for 3607 s: the apiserver then issues a long-lived bound token (no refresh needed). */
const TOKEN_SECONDS = 3607;

export class Sandboxes {
  constructor(
    private readonly config: NodeRuntimeConfig,
    private readonly network: PodNetwork,
    private readonly api: NodeApi,
    private readonly log: Logger,
  ) {}

  podDir(uid: string): string {
    return `${this.config.dir}/pods/${uid}`;
  }

  /** Namespace, CNI ADD, resolv.conf/hosts, ServiceAccount token; undone on failure. */
  async create(pod: V1Pod, containerId: string): Promise<SandboxRecord> {
    const meta = pod.metadata!;
    const hostNetwork = pod.spec?.hostNetwork === true;
    const record: SandboxRecord = {
      uid: meta.uid!,
      namespace: meta.namespace!,
      name: meta.name!,
      netns: hostNetwork ? this.config.netns : podNetns(this.config.netnsPrefix, meta.uid!),
      hostNetwork,
      containerId,
      portMappings: portMappings(pod),
    };
    const dir = this.podDir(record.uid);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await this.save(record);
    try {
      if (hostNetwork) {
        record.podIP = this.config.internalIP;
      } else {
        await run(['ip', 'netns', 'add', record.netns]);
        await run(['ip', '-n', record.netns, 'link', 'set', 'lo', 'up']);
        record.podIP = await this.network.add(attachment(record));
        if (!record.podIP) throw new Error('the CNI result has no IP address');
        const etc = netnsEtcDir(record.netns);
        await mkdir(etc, { recursive: true });
        const hostResolvConf = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
        const resolv = renderResolvConf(pod, {
          clusterDNS: this.config.clusterDNS,
          clusterDomain: this.config.clusterDomain,
          hostResolvConf,
        });
        if (resolv !== undefined) await writeFile(`${etc}/resolv.conf`, resolv);
        await writeFile(`${etc}/hosts`, renderHosts(pod, record.podIP, this.config.clusterDomain));
      }
      if (pod.spec?.automountServiceAccountToken !== false) await this.mountToken(pod, record, dir);
      await this.save(record);
      return record;
    } catch (e) {
      await this.destroy(record).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Kills what runs in the pod's namespace, CNI DEL, removes the namespace, then the pod's files
   * unless `keepFiles` (a pod that ran to completion keeps its logs until it is deleted).
   */
  async destroy(record: SandboxRecord, keepFiles = false): Promise<void> {
    if (!record.hostNetwork) {
      await killProcessesIn(record.netns);
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await this.network.del(attachment(record));
          lastError = undefined;
          break;
        } catch (e) {
          lastError = e;
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
      if (lastError) {
        this.log('error', 'CNI DEL failed; removing the namespace anyway', {
          pod: `${record.namespace}/${record.name}`,
          error: errorMessage(lastError),
        });
      }
      await runUnchecked(['ip', 'netns', 'delete', record.netns]);
      await rm(netnsEtcDir(record.netns), { recursive: true, force: true });
    }
    if (!keepFiles) await this.removeFiles(record.uid);
  }

  /** The pod's directory: sandbox record, ServiceAccount files, container logs. */
  async removeFiles(uid: string): Promise<void> {
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  /** Sandboxes left by an earlier run of this node runtime (it restarted): tear them all down. */
  async recover(): Promise<number> {
    const base = `${this.config.dir}/pods`;
    let n = 0;
    for (const uid of await readdir(base).catch(() => [] as string[])) {
      try {
        await killRecordedContainers(`${base}/${uid}`);
        const record = JSON.parse(
          await readFile(`${base}/${uid}/sandbox.json`, 'utf8'),
        ) as SandboxRecord;
        await this.destroy(record);
        n++;
      } catch (e) {
        this.log('warn', 'cannot recover a sandbox; removing its files', {
          uid,
          error: errorMessage(e),
        });
        await rm(`${base}/${uid}`, { recursive: true, force: true });
      }
    }
    return n;
  }

  private async save(record: SandboxRecord): Promise<void> {
    await writeFile(`${this.podDir(record.uid)}/sandbox.json`, JSON.stringify(record) + '\n');
  }

  /** A TokenRequest bound to the pod, written as a token dir and a kubeconfig. */
  private async mountToken(pod: V1Pod, record: SandboxRecord, dir: string): Promise<void> {
    const sa = pod.spec?.serviceAccountName || 'default';
    const tr = await this.api.core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: record.namespace,
      body: {
        spec: {
          audiences: [],
          expirationSeconds: TOKEN_SECONDS,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: record.name, uid: record.uid },
        },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error(`TokenRequest for ${record.namespace}/${sa} returned no token`);
    const saDir = `${dir}/serviceaccount`;
    await mkdir(saDir, { recursive: true });
    await writeFile(`${saDir}/token`, token, { mode: 0o600 });
    await writeFile(`${saDir}/namespace`, record.namespace);
    await copyFile(this.config.caFile, `${saDir}/ca.crt`);
    record.serviceAccountDir = saDir;
    record.kubeconfig = `${dir}/kubeconfig`;
    await writeKubeconfig(record.kubeconfig, {
      server: `https://${this.config.apiserverHost}:${this.config.apiserverPort}`,
      caFile: this.config.caFile,
      token,
      user: `system:serviceaccount:${record.namespace}:${sa}`,
      namespace: record.namespace,
    });
  }
}

/** Ends the process groups recorded in `<podDir>/*.pid` whose PID and start time still match. */
async function killRecordedContainers(dir: string): Promise<void> {
  for (const file of await readdir(dir).catch(() => [] as string[])) {
    if (!file.endsWith('.pid')) continue;
    const [pid, start] = (await readFile(`${dir}/${file}`, 'utf8')).trim().split(' ');
    if (!pid || !start || !isProcessAlive(Number(pid), start)) continue;
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

function attachment(r: SandboxRecord): PodAttachment {
  return {
    containerId: r.containerId,
    netnsPath: `/run/netns/${r.netns}`,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    portMappings: r.portMappings ?? [],
  };
}
