import {
  CniError,
  IncompatibleVersionError,
  InvalidNetworkConfigError,
  UnknownContainerError,
  cniErrorFor,
  toCniError,
} from '../errors.js';
import { execPlugin, findInPath } from '../exec/exec-plugin.js';
import type { GcAttachment, NetworkConfigList, PluginConf } from '../types/config.js';
import { formatCniArgs } from '../types/cni-args.js';
import { validateContainerId, validateIfName, validateNetworkName } from '../types/names.js';
import type { Result, VersionInfo } from '../types/result.js';
import { decodeJson } from '../types/validate-config.js';
import { formatResult, parseResult } from '../version/convert.js';
import { versionAtLeast } from '../version/versions.js';
import { buildPluginConfig } from './build-config.js';
import {
  CACHE_KIND,
  DEFAULT_CACHE_DIR,
  ResultCache,
  type CachedAttachment,
} from './result-cache.js';

/** One attachment of a container to a network, as libcni's RuntimeConf describes it. */
export interface RuntimeConf {
  containerId: string;
  /** Path of the network namespace, e.g. /run/netns/pod1 (may be empty for DEL). */
  netns: string;
  ifName: string;
  /** Passed as CNI_ARGS (`K=V;...`). */
  args?: [string, string][];
  /** Capability args; each plugin gets those it lists in `capabilities` as `runtimeConfig`. */
  capabilityArgs?: Record<string, unknown>;
  /** Overrides the runtime's cache root for this attachment. */
  cacheDir?: string;
}

export interface CniRuntimeOptions {
  /** Directories searched for plugin binaries (CNI_PATH). */
  pluginPaths: string[];
  /** Cache root; results go to `<cacheDir>/results`. Default /var/lib/cni, like libcni. */
  cacheDir?: string;
  /** Kill a plugin that runs longer than this (default 60 s). */
  execTimeoutMs?: number;
  /**
   * A command to run every plugin under, e.g. `['ip', 'netns', 'exec', 'node1']` so that
   * host-side interfaces and rules land in a node namespace rather than the caller's.
   */
  execWrapper?: string[];
  /** Base environment for plugins (default process.env); CNI_* variables are replaced. */
  env?: NodeJS.ProcessEnv;
  /** Receives the plugins' stderr (default: copied to our stderr, as libcni does). */
  onStderr?: (chunk: Buffer) => void;
}

/** Several plugins failed during GC; `errors` holds each, the code is the first one's. */
export class GcFailedError extends CniError {
  override readonly name = 'GcFailedError';
  constructor(readonly errors: readonly CniError[]) {
    super(errors[0]?.code ?? 999, `GC failed: ${errors.map((e) => e.message).join('; ')}`);
  }
}

type Verb = 'ADD' | 'CHECK' | 'DEL' | 'STATUS' | 'GC' | 'VERSION';

/**
 * The runtime side of CNI (what libcni does for containerd and CRI-O): runs the plugins of a
 * network config list with chaining, keeps libcni's result cache, and speaks every spec version.
 * Like libcni it does not serialise operations: callers must not run two operations for the
 * same container at once, nor GC concurrently with ADD/DEL.
 */
export class CniRuntime {
  private readonly pluginPaths: string[];
  private readonly cacheDir: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: CniRuntimeOptions) {
    this.pluginPaths = [...opts.pluginPaths];
    this.cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
    this.timeoutMs = opts.execTimeoutMs ?? 60_000;
  }

  /** ADD through every plugin in order, each getting the previous result; caches the final one. */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<Result> {
    validateAttachment(list, rt);
    if (list.plugins.length === 0) {
      throw new InvalidNetworkConfigError(
        `network ${list.name}: plugins: expected at least one plugin`,
      );
    }
    let prevResult: Result | undefined;
    for (const plugin of list.plugins) {
      const stdin = buildPluginConfig(list, plugin, {
        ...(prevResult ? { prevResult } : {}),
        ...(rt.capabilityArgs ? { capabilityArgs: rt.capabilityArgs } : {}),
      });
      const out = await this.exec('ADD', plugin, stdin, rt);
      prevResult = parseResult(decodeJson(out, `result of plugin ${plugin.type}`), list.cniVersion);
    }
    const result = prevResult!;
    await this.cache(rt).write({
      kind: CACHE_KIND,
      containerId: rt.containerId,
      config: (list.bytes ?? Buffer.from(JSON.stringify(stripBytes(list)))).toString('base64'),
      ifName: rt.ifName,
      networkName: list.name,
      netns: rt.netns,
      ...(rt.args?.length ? { cniArgs: rt.args } : {}),
      ...(rt.capabilityArgs ? { capabilityArgs: rt.capabilityArgs } : {}),
      result: formatResult(result, list.cniVersion) as unknown as Record<string, unknown>,
    });
    return result;
  }

  /** CHECK through every plugin in order with the cached ADD result (config 0.4.0 and later). */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    validateAttachment(list, rt);
    if (!versionAtLeast(list.cniVersion, '0.4.0')) {
      throw new IncompatibleVersionError(
        `configuration version "${list.cniVersion}" does not support the CHECK command`,
      );
    }
    if (list.disableCheck) return;
    const cached = await this.getCachedResult(list, rt);
    if (!cached) {
      throw new UnknownContainerError(
        `no cached result for ${list.name}/${rt.containerId}/${rt.ifName}`,
        'CHECK needs the result of a successful ADD',
      );
    }
    for (const plugin of list.plugins) {
      await this.exec(
        'CHECK',
        plugin,
        buildPluginConfig(list, plugin, this.context(rt, cached)),
        rt,
      );
    }
  }

  /**
   * DEL through every plugin in reverse order with the cached ADD result (0.4.0 and later), then
   * removes the cache entry. A missing or corrupt cache entry does not stop the DEL.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    validateAttachment(list, rt);
    const cached = versionAtLeast(list.cniVersion, '0.4.0')
      ? await this.getCachedResult(list, rt).catch(() => undefined)
      : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      await this.exec('DEL', plugin, buildPluginConfig(list, plugin, this.context(rt, cached)), rt);
    }
    await this.cache(rt).delete(list.name, rt.containerId, rt.ifName);
  }

  /** STATUS through every plugin (1.1.0 and later; older lists have no STATUS and pass). */
  async getStatusNetworkList(list: NetworkConfigList): Promise<void> {
    if (!versionAtLeast(list.cniVersion, '1.1.0')) return;
    for (const plugin of list.plugins) {
      await this.exec('STATUS', plugin, buildPluginConfig(list, plugin), undefined);
    }
  }

  /**
   * GC as libcni does it: first DEL every cached attachment of this network that is not in
   * `validAttachments`, then (1.1.0 and later) send GC with the valid attachments to every
   * plugin. Continues past failures and reports them all at the end.
   */
  async gcNetworkList(
    list: NetworkConfigList,
    opts: { validAttachments: { containerID: string; ifname: string }[] },
  ): Promise<void> {
    if (list.disableGC) return;
    const valid = new Set(opts.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`));
    const errors: CniError[] = [];
    for (const a of await new ResultCache(this.cacheDir).attachments(list.name)) {
      if (valid.has(`${a.containerId}\0${a.ifName}`)) continue;
      try {
        await this.delNetworkList(list, runtimeConfOf(a, this.cacheDir));
      } catch (e) {
        const err = toCniError(e);
        errors.push(
          new CniError(
            err.code,
            `failed to delete stale attachment ${a.containerId} ${a.ifName}: ${err.msg}`,
            err.details,
          ),
        );
      }
    }
    if (versionAtLeast(list.cniVersion, '1.1.0')) {
      const attachments: GcAttachment[] = opts.validAttachments.map((a) => ({
        containerID: a.containerID,
        ifname: a.ifname,
      }));
      const inject = { 'cni.dev/valid-attachments': attachments };
      for (const plugin of list.plugins) {
        try {
          await this.exec('GC', plugin, buildPluginConfig(list, plugin, { inject }), undefined);
        } catch (e) {
          errors.push(toCniError(e));
        }
      }
    }
    if (errors.length) throw new GcFailedError(errors);
  }

  /**
   * Checks a list before use, as libcni's ValidateNetworkList: every plugin is on the path and
   * supports the list's version (asked through VERSION). Returns the capabilities the list
   * declares; throws code 1 naming every plugin that cannot run at that version.
   */
  async validateNetworkList(list: NetworkConfigList): Promise<string[]> {
    const problems: string[] = [];
    const caps = new Set<string>();
    for (const plugin of list.plugins) {
      for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) if (on) caps.add(cap);
      try {
        const info = await this.getVersionInfo(plugin.type);
        if (!info.supportedVersions.includes(list.cniVersion)) {
          problems.push(
            `plugin ${plugin.type} supports [${info.supportedVersions.join(', ')}], not ${list.cniVersion}`,
          );
        }
      } catch (e) {
        problems.push(toCniError(e).message);
      }
    }
    if (problems.length) {
      throw new IncompatibleVersionError(`network ${list.name} cannot run`, problems.join('; '));
    }
    return [...caps].sort();
  }

  /** The cached ADD result converted to the list's version, or undefined when there is none. */
  async getCachedResult(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
    const raw = await this.cache(rt).readResult(list.name, rt.containerId, rt.ifName);
    if (!raw) return undefined;
    try {
      return parseResult(raw, list.cniVersion);
    } catch {
      return undefined;
    }
  }

  /** The attachments in the cache (of one network, or all). */
  getCachedAttachments(networkName?: string): Promise<CachedAttachment[]> {
    return new ResultCache(this.cacheDir).attachments(networkName);
  }

  /**
   * Asks a plugin which versions it supports. A plugin that does not know VERSION predates 0.2.0
   * and so supports only 0.1.0.
   */
  async getVersionInfo(pluginType: string): Promise<VersionInfo> {
    const plugin = { type: pluginType } as PluginConf;
    try {
      const out = await this.exec(
        'VERSION',
        plugin,
        Buffer.from('{"cniVersion":"1.1.0"}'),
        undefined,
      );
      const info = decodeJson(out, `VERSION answer of ${pluginType}`) as Partial<VersionInfo>;
      if (!Array.isArray(info.supportedVersions)) throw new Error('no supportedVersions');
      return { cniVersion: String(info.cniVersion), supportedVersions: info.supportedVersions };
    } catch (e) {
      if (e instanceof CniError && /unknown CNI_COMMAND/i.test(e.message)) {
        return { cniVersion: '0.1.0', supportedVersions: ['0.1.0'] };
      }
      throw e;
    }
  }

  private cache(rt: RuntimeConf): ResultCache {
    return new ResultCache(rt.cacheDir ?? this.cacheDir);
  }

  private context(
    rt: RuntimeConf,
    prevResult: Result | undefined,
  ): { prevResult?: Result; capabilityArgs?: Record<string, unknown> } {
    return {
      ...(prevResult ? { prevResult } : {}),
      ...(rt.capabilityArgs ? { capabilityArgs: rt.capabilityArgs } : {}),
    };
  }

  private async exec(
    verb: Verb,
    plugin: PluginConf,
    stdin: Buffer,
    rt: RuntimeConf | undefined,
  ): Promise<Buffer> {
    const pluginPath = await findInPath(plugin.type, this.pluginPaths);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(this.opts.env ?? process.env)) {
      if (!k.startsWith('CNI_')) env[k] = v;
    }
    env.CNI_COMMAND = verb;
    env.CNI_PATH = this.pluginPaths.join(':');
    if (rt) {
      env.CNI_CONTAINERID = rt.containerId;
      env.CNI_NETNS = rt.netns;
      env.CNI_IFNAME = rt.ifName;
      env.CNI_ARGS = formatCniArgs(rt.args ?? []);
    }
    try {
      return await execPlugin(pluginPath, stdin, {
        env,
        timeoutMs: this.timeoutMs,
        ...(this.opts.execWrapper ? { wrapper: this.opts.execWrapper } : {}),
        onStderr: this.opts.onStderr ?? ((chunk) => void process.stderr.write(chunk)),
      });
    } catch (e) {
      // Say which plugin of the chain failed; the class and code stay the plugin's.
      const err = toCniError(e);
      throw cniErrorFor(err.code, `plugin ${plugin.type} (${verb}): ${err.msg}`, err.details);
    }
  }
}

function validateAttachment(list: NetworkConfigList, rt: RuntimeConf): void {
  validateNetworkName(list.name);
  validateContainerId(rt.containerId);
  validateIfName(rt.ifName);
}

function runtimeConfOf(a: CachedAttachment, cacheDir: string): RuntimeConf {
  return {
    containerId: a.containerId,
    netns: a.netns,
    ifName: a.ifName,
    args: a.cniArgs,
    capabilityArgs: a.capabilityArgs,
    cacheDir,
  };
}

function stripBytes(list: NetworkConfigList): Omit<NetworkConfigList, 'bytes'> {
  const { bytes: _bytes, ...rest } = list;
  return rest;
}
