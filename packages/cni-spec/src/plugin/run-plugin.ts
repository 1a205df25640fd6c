import {
  CniError,
  IncompatibleVersionError,
  InvalidEnvironmentError,
  InvalidNetnsError,
  IoFailureError,
  toCniError,
} from '../errors.js';
import { SUPPORTED_VERSIONS, compareVersions, versionAtLeast } from '../version/versions.js';
import type { CmdArgs, PluginHandlers, PluginInfo, PluginIo } from './handlers.js';

type Verb = 'ADD' | 'CHECK' | 'DEL' | 'STATUS' | 'GC' | 'VERSION';

/** The variables each verb needs, as pkg/skel enforces them (CNI_COMMAND is always needed). */
const REQUIRED: Record<Verb, readonly string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  STATUS: ['CNI_PATH'],
  GC: ['CNI_PATH'],
  VERSION: [],
};

/** The first spec version that has each verb. */
const SINCE: Partial<Record<Verb, string>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };

function isVerb(cmd: string): cmd is Verb {
  return Object.hasOwn(REQUIRED, cmd);
}

/**
 * Runs one plugin invocation against `io` and returns the exit status. Results and errors go to
 * stdout as the spec's JSON; only the stack of an unexpected exception goes to stderr.
 */
export async function runPlugin(
  handlers: PluginHandlers,
  info: PluginInfo,
  io: PluginIo,
): Promise<number> {
  const supported = info.supportedVersions ?? SUPPORTED_VERSIONS;
  // Errors are reported in the config's version once it is known (and supported), else in the
  // newest supported one.
  let version = [...supported].sort(compareVersions).at(-1) ?? '1.1.0';
  try {
    const cmd = io.env.CNI_COMMAND ?? '';
    if (cmd === '' && info.about) {
      io.stderr(`${info.about}\nCNI protocol versions supported: ${supported.join(', ')}\n`);
      return 0;
    }
    const verb = checkEnv(cmd, io.env);
    if (verb === 'VERSION') {
      io.stdout(`${JSON.stringify(await versionInfo(io, supported, version))}\n`);
      return 0;
    }
    const stdinData = await readStdin(io);
    const { parsePluginConf, decodeJson } = await import('../types/validate-config.js');
    const config = parsePluginConf(decodeJson(stdinData, 'stdin'));
    // An error about an unsupported version is itself written in a version we do support.
    if (supported.includes(config.cniVersion)) version = config.cniVersion;
    const args: CmdArgs = {
      containerId: io.env.CNI_CONTAINERID ?? '',
      netns: io.env.CNI_NETNS ?? '',
      ifName: io.env.CNI_IFNAME ?? '',
      args: io.env.CNI_ARGS ?? '',
      path: (io.env.CNI_PATH ?? '').split(':').filter(Boolean),
      stdinData,
      config,
    };
    if (verb === 'ADD' || verb === 'CHECK' || verb === 'DEL') {
      const { validateContainerId, validateIfName } = await import('../types/names.js');
      validateContainerId(args.containerId);
      validateIfName(args.ifName);
      if (verb !== 'DEL') await refuseOwnNetns(args.netns);
    }
    checkVersion(verb, config.cniVersion, supported);
    const out = await call(verb, handlers, args);
    if (out !== undefined) io.stdout(`${out}\n`);
    return 0;
  } catch (e) {
    const err = toCniError(e);
    if (!(e instanceof CniError) && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    err.cniVersion = version;
    io.stdout(`${JSON.stringify(err.toJSON())}\n`);
    return 1;
  }
}

function checkEnv(cmd: string, env: NodeJS.ProcessEnv): Verb {
  if (cmd === '') throw new InvalidEnvironmentError('required env variables [CNI_COMMAND] missing');
  if (!isVerb(cmd)) {
    throw new InvalidEnvironmentError(
      `unknown CNI_COMMAND: ${JSON.stringify(cmd)}`,
      `expected one of ${Object.keys(REQUIRED).join(', ')}`,
    );
  }
  const missing = REQUIRED[cmd].filter((name) => !env[name]);
  if (missing.length) {
    throw new InvalidEnvironmentError(`required env variables [${missing.join(',')}] missing`);
  }
  return cmd;
}

async function readStdin(io: PluginIo): Promise<Buffer> {
  try {
    return await io.readStdin();
  } catch (e) {
    throw new IoFailureError('error reading from stdin', (e as Error).message);
  }
}

/** VERSION answers in the version the caller asked in (when we support it), else our newest. */
async function versionInfo(
  io: PluginIo,
  supported: readonly string[],
  newest: string,
): Promise<{ cniVersion: string; supportedVersions: string[] }> {
  let asked: unknown;
  try {
    asked = (
      JSON.parse((await io.readStdin()).toString('utf8') || '{}') as { cniVersion?: unknown }
    ).cniVersion;
  } catch {
    // VERSION needs no input; a runtime may send none or something we do not understand.
  }
  const cniVersion = typeof asked === 'string' && supported.includes(asked) ? asked : newest;
  return { cniVersion, supportedVersions: [...supported] };
}

function checkVersion(verb: Verb, configVersion: string, supported: readonly string[]): void {
  if (!supported.includes(configVersion)) {
    throw new IncompatibleVersionError(
      'incompatible CNI versions',
      `config is ${JSON.stringify(configVersion)}, plugin supports [${supported.join(', ')}]`,
    );
  }
  const since = SINCE[verb];
  if (since && !versionAtLeast(configVersion, since)) {
    throw new IncompatibleVersionError(
      `config version does not allow ${verb}`,
      `${verb} needs cniVersion ${since} or later, config is ${JSON.stringify(configVersion)}`,
    );
  }
}

async function call(verb: Verb, h: PluginHandlers, args: CmdArgs): Promise<string | undefined> {
  switch (verb) {
    case 'ADD': {
      const result = await h.add(args);
      const { formatResult, parseResult } = await import('../version/convert.js');
      const version = args.config.cniVersion;
      return JSON.stringify(formatResult(parseResult(result, version), version), null, 2);
    }
    case 'CHECK':
      await h.check?.(args);
      return undefined;
    case 'DEL':
      await h.del(args);
      return undefined;
    case 'STATUS':
      await h.status?.(args);
      return undefined;
    case 'GC':
      await h.gc?.(args);
      return undefined;
    case 'VERSION':
      return undefined;
  }
}

/**
 * A plugin configuring its own namespace as the container's would rewire the host: refuse when
 * CNI_NETNS is the namespace the plugin runs in (as pkg/skel does). A path that does not exist is
 * the handler's to report.
 */
async function refuseOwnNetns(netns: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const [own, target] = await Promise.all([
    stat('/proc/self/ns/net').catch(() => undefined),
    stat(netns).catch(() => undefined),
  ]);
  if (own && target && own.ino === target.ino && own.dev === target.dev) {
    throw new InvalidNetnsError(
      "plugin's netns and netns from CNI_NETNS should not be the same",
      `CNI_NETNS=${netns}`,
    );
  }
}
