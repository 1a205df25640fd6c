import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { isProcessAlive, processStartTime } from '@switchyard/linux';
import { REPO_ROOT, findBinaries } from './binaries.js';
import { apiserverArgv, controllerManagerArgv, etcdArgv, schedulerArgv } from './control-plane.js';
import { isRecordAlive, spawnDaemon } from './daemon.js';
import { NODE_RUNTIME_MAIN } from './entry-points.js';
import { TestbedStateError } from './errors.js';
import { writeKubeconfig } from './kubeconfig.js';
import { createLab, createNode } from './lab-network.js';
import { APISERVER_PORT, type TestbedLayout, nodeDir, nodeNetns, testbedLayout } from './layout.js';
import type { NodeRuntimeConfig } from './node-runtime/config.js';
import {
  DEFAULT_NAME,
  DEFAULT_STATE_ROOT,
  type ResolvedOptions,
  type TestbedOptions,
  resolveOptions,
} from './options.js';
import { type TestbedPki, createPki } from './pki.js';
import { apiserverReady } from './readyz.js';
import { startRelay } from './relay.js';
import {
  type NodeRecord,
  type ProcessRecord,
  type TestbedState,
  readState,
  writeState,
} from './state.js';
import {
  type DistributionPart,
  type KubeObject,
  TESTBED_OVERLAY,
  checkComponentsBuilt,
  renderTestbedDistribution,
} from './distribution.js';
import {
  type InstallContext,
  applyParts,
  waitForDnsAnswers,
  waitForWorkloads,
} from './distribution-install.js';
import { checkSwitchyardCniBuilt } from './switchyard-cni.js';
import { type TeardownReport, teardown } from './teardown.js';
import { type Testbed, attach } from './testbed-handle.js';
import { waitFor } from './wait.js';

export interface StartOptions extends TestbedOptions {
  /** Leave what was made in place when start-up fails (for reading the logs); default false. */
  keepOnFailure?: boolean;
}

/**
 * Brings a testbed up and resolves once every node is Ready with a podCIDR, the default
 * ServiceAccount exists and the selected components are ready. Leftovers of an earlier run with the same name are removed first; a
 * testbed that is still running is an error.
 */
export async function startTestbed(options: StartOptions = {}): Promise<Testbed> {
  const opts = resolveOptions(options);
  const log = options.log ?? ((): void => undefined);
  const layout = testbedLayout(opts.name, opts.stateDir, opts.nodes);
  const bins = await findBinaries();
  if (opts.cni === 'switchyard') checkSwitchyardCniBuilt(opts.name);
  checkComponentsBuilt(opts.name, opts.components);
  const existing = await readState(layout.stateFile).catch(() => undefined);
  if (existing) refuseIfInUse(existing);
  const swept = await teardown(layout.netnsPrefix, layout.stateDir);
  if (swept.netns.length || swept.killedProcesses || swept.stateDirRemoved) {
    log(`removed leftovers of an earlier run (${swept.netns.length} namespaces)`);
  }
  const started = Date.now();
  const deadline = started + opts.readyTimeoutMs;
  const state: TestbedState = {
    version: 1,
    name: opts.name,
    phase: 'starting',
    createdAt: new Date().toISOString(),
    options: opts,
    netns: [],
    processes: [],
    nodes: [],
    kubectl: bins.kubectl,
    starter: { pid: process.pid, startTime: processStartTime(process.pid) ?? '' },
  };
  for (const dir of [layout.pkiDir, layout.logDir, layout.etcdDataDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  await writeState(layout.stateFile, state);
  try {
    // Namespaces are recorded before they are made, so a crash in between still cleans them.
    state.netns = [
      layout.labNetns,
      ...layout.nodeNames.map((n) => nodeNetns(layout.netnsPrefix, n)),
    ];
    await writeState(layout.stateFile, state);
    const [pki] = await Promise.all([
      createPki(layout.pkiDir, opts, layout.nodeNames),
      (async (): Promise<void> => {
        await createLab(layout, opts);
        state.nodes = await Promise.all(
          layout.nodeNames.map((_, i) => createNode(layout, opts, i)),
        );
      })(),
    ]);
    log(`lab ${layout.labNetns} on ${opts.underlay}, ${opts.nodes} node namespaces`);
    const record = async (p: ProcessRecord): Promise<void> => {
      state.processes.push(p);
      await writeState(layout.stateFile, state);
    };
    await record(
      spawnDaemon({
        role: 'etcd',
        netns: layout.labNetns,
        argv: etcdArgv(bins, layout),
        log: logFile(layout, 'etcd'),
      }),
    );
    await record(
      spawnDaemon({
        role: 'kube-apiserver',
        netns: layout.labNetns,
        argv: apiserverArgv(bins, opts, pki),
        log: logFile(layout, 'kube-apiserver'),
      }),
    );
    const relay = await startRelay(
      layout.labNetns,
      { host: opts.labIP, port: APISERVER_PORT },
      logFile(layout, 'apiserver-relay'),
    );
    state.relayPort = relay.port;
    await record(relay.record);
    const labUrl = `https://${opts.labIP}:${APISERVER_PORT}`;
    await writeKubeconfig(layout.kubeconfig, {
      server: `https://127.0.0.1:${relay.port}`,
      caFile: pki.ca.cert,
      client: pki.admin,
      user: 'admin',
    });
    await writeKubeconfig(layout.labKubeconfig, {
      server: labUrl,
      caFile: pki.ca.cert,
      client: pki.admin,
      user: 'admin',
    });
    const kubeconfigs = {
      controllerManager: `${layout.stateDir}/controller-manager.kubeconfig`,
      scheduler: `${layout.stateDir}/scheduler.kubeconfig`,
    };
    await writeKubeconfig(kubeconfigs.controllerManager, {
      server: labUrl,
      caFile: pki.ca.cert,
      client: pki.controllerManager,
      user: 'system:kube-controller-manager',
    });
    await writeKubeconfig(kubeconfigs.scheduler, {
      server: labUrl,
      caFile: pki.ca.cert,
      client: pki.scheduler,
      user: 'system:kube-scheduler',
    });
    await waitFor(
      'kube-apiserver /readyz',
      async () =>
        (await apiserverReady(`https://127.0.0.1:${relay.port}`, pki.ca.cert, pki.admin))
          ? true
          : undefined,
      {
        timeoutMs: opts.readyTimeoutMs,
        deadline,
        logs: [logFile(layout, 'kube-apiserver'), logFile(layout, 'etcd')],
      },
    );
    log(`kube-apiserver ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await record(
      spawnDaemon({
        role: 'kube-controller-manager',
        netns: layout.labNetns,
        argv: controllerManagerArgv(bins, opts, pki, kubeconfigs),
        log: logFile(layout, 'kube-controller-manager'),
      }),
    );
    await record(
      spawnDaemon({
        role: 'kube-scheduler',
        netns: layout.labNetns,
        argv: schedulerArgv(bins, kubeconfigs),
        log: logFile(layout, 'kube-scheduler'),
      }),
    );
    for (const node of state.nodes) {
      await record(await launchNodeRuntime(layout, opts, pki, node, labUrl));
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(layout.kubeconfig);
    await waitForCluster(kubeConfig, layout, opts, deadline);
    const parts: DistributionPart[] = [
      ...(opts.cni === 'switchyard' ? (['cni'] as const) : []),
      ...opts.components,
    ];
    if (parts.length) {
      const install: InstallContext = {
        kubectl: state.kubectl,
        kubeconfig: layout.kubeconfig,
        kubeConfig,
        deadline,
        timeoutMs: opts.readyTimeoutMs,
        logs: clusterLogs(layout),
      };
      const rendered = await renderTestbedDistribution(state.kubectl, opts);
      if (opts.cni === 'switchyard') {
        await applyParts(install, rendered, ['cni']);
        log(`applied the cni part of ${TESTBED_OVERLAY}`);
        await waitForNodes(kubeConfig, layout, opts, deadline, 'Ready', nodeReady);
      }
      if (opts.components.length) {
        await installComponents(install, rendered, opts, layout.netnsPrefix);
        log(`${opts.components.join(', ')} ready (from ${TESTBED_OVERLAY})`);
      }
    }
    state.phase = 'ready';
    await writeState(layout.stateFile, state);
    const what = opts.cni === 'external' ? 'registered (CNI external)' : `Ready (CNI ${opts.cni})`;
    log(`${opts.nodes} nodes ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return attach(state, layout, kubeConfig);
  } catch (e) {
    if (!options.keepOnFailure) {
      const tails = await logTails(state);
      await teardown(layout.netnsPrefix, layout.stateDir);
      if (e instanceof Error && tails) e.message += `\n${tails}`;
    }
    throw e;
  }
}

/** Attaches to a running testbed by name (default `main`). */
export async function openTestbed(
  name = DEFAULT_NAME,
  stateRoot = DEFAULT_STATE_ROOT,
): Promise<Testbed> {
  const state = await readState(`${stateRoot}/${name}/state.json`);
  if (!state) throw new TestbedStateError(name, `is not up (no ${stateRoot}/${name}/state.json)`);
  const layout = testbedLayout(state.name, state.options.stateDir, state.options.nodes);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(layout.kubeconfig);
  return attach(state, layout, kubeConfig);
}

/** Takes a testbed down by name; see `teardown` for what that removes. */
export function stopTestbed(
  name = DEFAULT_NAME,
  stateRoot = DEFAULT_STATE_ROOT,
): Promise<TeardownReport> {
  const layout = testbedLayout(resolveOptions({ name, stateRoot }).name, `${stateRoot}/${name}`, 0);
  return teardown(layout.netnsPrefix, layout.stateDir);
}

/**
 * A testbed is in use while its starter is still bringing it up, or when it came up and any of its
 * processes still runs (a degraded one too: `down` first). Anything else is a leftover to sweep.
 */
function refuseIfInUse(state: TestbedState): void {
  const starter = state.starter;
  if (state.phase === 'starting' && starter && isProcessAlive(starter.pid, starter.startTime)) {
    throw new TestbedStateError(state.name, `is being started by process ${starter.pid}`);
  }
  const alive = state.processes.filter(isRecordAlive);
  if (state.phase === 'ready' && alive.length) {
    const dead = state.processes.length - alive.length;
    throw new TestbedStateError(
      state.name,
      `is already running${dead ? ` (${dead} of its processes died)` : ''}; take it down first`,
    );
  }
}

async function launchNodeRuntime(
  layout: TestbedLayout,
  opts: ResolvedOptions,
  pki: TestbedPki,
  node: NodeRecord,
  labUrl: string,
): Promise<ProcessRecord> {
  const dir = nodeDir(layout.stateDir, node.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const kubeconfig = `${dir}/kubeconfig`;
  await writeKubeconfig(kubeconfig, {
    server: labUrl,
    caFile: pki.ca.cert,
    client: pki.nodes[node.name]!,
    user: `system:node:${node.name}`,
  });
  const config: NodeRuntimeConfig = {
    nodeName: node.name,
    testbed: opts.name,
    internalIP: node.internalIP,
    netnsPrefix: layout.netnsPrefix,
    netns: node.netns,
    labNetns: layout.labNetns,
    kubeconfig,
    apiserverHost: opts.labIP,
    apiserverPort: APISERVER_PORT,
    caFile: pki.ca.cert,
    kubernetesServiceIP: opts.kubernetesServiceIP,
    clusterDNS: opts.clusterDNS,
    clusterDomain: opts.clusterDomain,
    dir,
    cni: opts.cni,
    cniBinDirs: opts.cniBinDirs,
    repoRoot: REPO_ROOT,
  };
  await writeFile(`${dir}/config.json`, JSON.stringify(config, null, 2) + '\n');
  return spawnDaemon({
    role: `node/${node.name}`,
    netns: node.netns,
    netnsOnly: true,
    argv: [process.execPath, NODE_RUNTIME_MAIN, `${dir}/config.json`],
    log: logFile(layout, `node-${node.name}`),
  });
}

async function waitForCluster(
  kubeConfig: KubeConfig,
  layout: TestbedLayout,
  opts: ResolvedOptions,
  deadline: number,
): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  // With an agent-written conflist (external, switchyard) nodes stay NotReady until the agent runs
  // on them, which needs the cluster first: here only registration with a podCIDR is awaited.
  if (opts.cni === 'reference-bridge') {
    await waitForNodes(kubeConfig, layout, opts, deadline, 'Ready', nodeReady);
  } else {
    await waitForNodes(kubeConfig, layout, opts, deadline, 'registered', (n) =>
      Boolean(n.spec?.podCIDR),
    );
  }
  // Pods cannot be created before the ServiceAccount admission finds `default`.
  await waitFor(
    'the default ServiceAccount',
    async () =>
      (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }))
        ? true
        : undefined,
    { timeoutMs: opts.readyTimeoutMs, deadline, logs: clusterLogs(layout) },
  );
}

async function waitForNodes(
  kubeConfig: KubeConfig,
  layout: TestbedLayout,
  opts: ResolvedOptions,
  deadline: number,
  what: string,
  done: (node: V1Node) => boolean,
): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await waitFor(
    `${opts.nodes} ${what} nodes with podCIDRs`,
    async () => {
      const nodes = (await core.listNode()).items;
      const ok = nodes.filter((n) => layout.nodeNames.includes(n.metadata?.name ?? '') && done(n));
      return ok.length === layout.nodeNames.length ? true : undefined;
    },
    { timeoutMs: opts.readyTimeoutMs, deadline, logs: clusterLogs(layout) },
  );
}

/**
 * Applies the selected components and waits until their DaemonSets and Deployments are ready
 * and, with dns, until every replica answers (and the kube-dns ClusterIP too when the proxy
 * carries it).
 */
async function installComponents(
  install: InstallContext,
  rendered: ReadonlyMap<DistributionPart, readonly KubeObject[]>,
  opts: ResolvedOptions,
  netnsPrefix: string,
): Promise<void> {
  await applyParts(install, rendered, opts.components);
  await waitForWorkloads(
    install,
    opts.components.flatMap((c) => rendered.get(c) ?? []),
  );
  if (opts.components.includes('dns')) {
    await waitForDnsAnswers(install, {
      netnsPrefix,
      ...(opts.components.includes('proxy') ? { clusterDNS: opts.clusterDNS } : {}),
      clusterDomain: opts.clusterDomain,
      kubernetesServiceIP: opts.kubernetesServiceIP,
    });
  }
}

function clusterLogs(layout: TestbedLayout): string[] {
  return [
    logFile(layout, 'kube-controller-manager'),
    ...layout.nodeNames.map((n) => logFile(layout, `node-${n}`)),
  ];
}

function nodeReady(node: V1Node): boolean {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const tainted = node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready');
  return ready?.status === 'True' && Boolean(node.spec?.podCIDR) && !tainted;
}

function logFile(layout: TestbedLayout, component: string): string {
  return `${layout.logDir}/${component}.log`;
}

async function logTails(state: TestbedState): Promise<string> {
  const parts: string[] = [];
  for (const p of state.processes) {
    const text = await readFile(p.log, 'utf8').catch(() => '');
    const tail = text.trimEnd().split('\n').slice(-8).join('\n');
    if (tail) parts.push(`--- ${p.role} (${p.log}):\n${tail}`);
  }
  return parts.join('\n');
}
