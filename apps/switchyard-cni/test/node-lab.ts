import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, type Netns, type RunResult } from '@switchyard/linux';

const APP = fileURLToPath(new URL('..', import.meta.url));
export const SHIM = join(APP, 'dist/switchyard-cni');
export const AGENT_MAIN = join(APP, 'dist/agent/main.js');
export const STANDALONE = join(APP, 'dist/plugin/standalone.js');
export const CNITOOL = join(APP, '../../packages/cni-spec/dist/bin/cnitool.js');

/**
 * Builds what the tests exec: the C shim (when missing or older than its source) and the app's
 * dist (when missing; `nx run @switchyard/app-cni:test` builds it first anyway).
 */
export function ensureBuilt(): void {
  const source = join(APP, 'shim/switchyard-cni.c');
  if (!existsSync(SHIM) || statSync(SHIM).mtimeMs < statSync(source).mtimeMs) {
    execFileSync('bash', [join(APP, 'scripts/build-shim.sh')], { stdio: 'ignore' });
  }
  if (!existsSync(AGENT_MAIN)) {
    execFileSync('npx', ['tsc', '-b', join(APP, 'tsconfig.lib.json')], { stdio: 'ignore' });
  }
}

export interface CniCall {
  verb: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  /** Plugin config; default the lab's. A string is sent as is. */
  conf?: object | string;
  /** Extra or overriding CNI_* variables; undefined values are left out. */
  env?: Record<string, string | undefined>;
}

export interface CniAnswer extends RunResult {
  json: Record<string, unknown> | undefined;
}

/**
 * A "node": a network namespace with an agent process in it (started with a static pod CIDR, so no
 * Kubernetes is involved), its own conf dir, IPAM store and socket in a temporary directory, and
 * the shim exec'd inside the namespace the way a runtime execs a plugin.
 */
export class NodeLab {
  agent: ChildProcess | undefined;
  /** Output of the agent started last. */
  agentLog = '';

  private constructor(
    readonly node: Netns,
    readonly dir: string,
    readonly podCidr: string,
    readonly clusterCidr: string,
  ) {}

  static async create(label: string, podCidr: string, clusterCidr: string): Promise<NodeLab> {
    const node = await createNetns(label);
    return new NodeLab(node, mkdtempSync(join(tmpdir(), `sy-cni-${label}-`)), podCidr, clusterCidr);
  }

  get socket(): string {
    return join(this.dir, 'cni.sock');
  }
  get confDir(): string {
    return join(this.dir, 'net.d');
  }
  get dataDir(): string {
    return join(this.dir, 'ipam');
  }
  get storeDir(): string {
    return join(this.dataDir, 'switchyard');
  }

  /** Starts the agent and waits until it has written the conflist and listens. */
  async startAgent(extra: readonly string[] = []): Promise<void> {
    const child = this.node.spawn([
      process.execPath,
      AGENT_MAIN,
      '--pod-cidr',
      this.podCidr,
      '--cluster-cidr',
      this.clusterCidr,
      '--cni-conf-dir',
      this.confDir,
      '--ipam-data-dir',
      this.dataDir,
      '--socket',
      this.socket,
      '--overlay-mode',
      'none',
      '--health-port',
      '0',
      ...extra,
    ]);
    this.agent = child;
    this.agentLog = '';
    child.stdout!.on('data', (b: Buffer) => (this.agentLog += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (this.agentLog += b.toString()));
    const deadline = Date.now() + 30_000;
    while (!this.agentLog.includes('"agent started"')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`agent did not start:\n${this.agentLog}`);
      }
      await sleep(50);
    }
  }

  /** The health server's URL from the agent's start-up line (reachable inside the node only). */
  get healthUrl(): string {
    const m = /"health":"([^"]+)"/.exec(this.agentLog);
    if (!m) throw new Error('agent logged no health URL');
    return m[1]!;
  }

  async stopAgent(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.agent;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.agent = undefined;
  }

  /** The conflist the agent wrote, as the plugin config a runtime derives from it. */
  pluginConf(cniVersion = '1.1.0'): Record<string, unknown> {
    const list = JSON.parse(readFileSync(join(this.confDir, '10-switchyard.conflist'), 'utf8')) as {
      name: string;
      plugins: Record<string, unknown>[];
    };
    const { capabilities: _caps, ...plugin } = list.plugins[0]!;
    return { ...plugin, cniVersion, name: list.name };
  }

  /** Runs the shim in the node namespace with a bare environment, as a runtime would. */
  async cni(call: CniCall): Promise<CniAnswer> {
    const vars: Record<string, string | undefined> = {
      CNI_COMMAND: call.verb,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifName ?? 'eth0',
      CNI_PATH: '/opt/cni/bin',
      ...call.env,
    };
    const env = Object.entries(vars)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const conf = call.conf ?? this.pluginConf();
    const input = typeof conf === 'string' ? conf : JSON.stringify(conf);
    const r = await this.node.execUnchecked(
      ['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...env, SHIM],
      {
        input,
        timeoutMs: 60_000,
      },
    );
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { ...r, json };
  }

  /** Address files in the store: `ip -> "containerID\r\nifname"`. */
  held(): Map<string, string> {
    const out = new Map<string, string>();
    if (!existsSync(this.storeDir)) return out;
    for (const name of readdirSync(this.storeDir)) {
      if (/^[0-9a-f.:]+$/.test(name) && /[.:]/.test(name)) {
        out.set(name, readFileSync(join(this.storeDir, name), 'utf8'));
      }
    }
    return out;
  }

  async destroy(): Promise<void> {
    await this.stopAgent('SIGKILL');
    await this.node.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The pod's IPv4 address on `dev`, from the kernel. */
export async function podAddress(pod: Netns, dev = 'eth0'): Promise<string | undefined> {
  const { stdout } = await pod.exec(['ip', '-j', '-4', 'addr', 'show', 'dev', dev]);
  const info = JSON.parse(stdout || '[]') as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const a = info[0]?.addr_info?.[0];
  return a ? `${a.local}/${a.prefixlen}` : undefined;
}
