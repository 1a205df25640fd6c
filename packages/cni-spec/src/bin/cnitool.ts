#!/usr/bin/env node
// switchyard-cnitool: the runtime side on the command line, like containernetworking's cnitool,
// plus `validate-plugin`, a conformance check for any plugin binary.
import { createHash } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CniError, InvalidEnvironmentError, toCniError } from '../errors.js';
import { CniRuntime, type RuntimeConf } from '../runtime/cni-runtime.js';
import { loadConfList } from '../runtime/load-conf-list.js';
import { parseCniArgs } from '../types/cni-args.js';
import { formatResult } from '../version/convert.js';

const USAGE = `usage:
  switchyard-cnitool add|check|del NETWORK NETNS
  switchyard-cnitool status NETWORK
  switchyard-cnitool gc NETWORK [CONTAINERID/IFNAME ...]   (the attachments that stay valid)
  switchyard-cnitool version NETWORK
  switchyard-cnitool validate-plugin PLUGIN_PATH [--config FILE] [--cni-path DIRS] [--ifname NAME] [--json]

NETNS is a path, or a name under /run/netns. Environment (as cnitool):
  NETCONFPATH    configuration directory (default /etc/cni/net.d)
  CNI_PATH       plugin directories, ':'-separated (default /opt/cni/bin)
  CNI_ARGS       K=V;K2=V2 passed to the plugins
  CAP_ARGS       capability args as JSON, e.g. {"portMappings":[...]}
  CNI_IFNAME     interface name in the namespace (default eth0)
  CNI_CONTAINERID  container ID (default derived from NETNS, like cnitool)
  CNI_CACHE_DIR  result cache root (default /var/lib/cni)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'validate-plugin') {
    const { runValidateCommand } = await import('../validate/validate-command.js');
    return runValidateCommand(rest);
  }
  if (!cmd || cmd === '-h' || cmd === '--help' || !rest[0]) {
    process.stderr.write(USAGE);
    return cmd === '-h' || cmd === '--help' ? 0 : 2;
  }
  const env = process.env;
  const network = rest[0];
  const list = await loadConfList(env.NETCONFPATH || '/etc/cni/net.d', network);
  const runtime = new CniRuntime({
    pluginPaths: (env.CNI_PATH || '/opt/cni/bin').split(':').filter(Boolean),
    cacheDir: env.CNI_CACHE_DIR || '/var/lib/cni',
  });
  switch (cmd) {
    case 'add':
    case 'check':
    case 'del': {
      const rt = runtimeConf(rest[1], env);
      if (cmd === 'add') {
        const result = await runtime.addNetworkList(list, rt);
        process.stdout.write(`${JSON.stringify(formatResult(result, list.cniVersion), null, 2)}\n`);
      } else if (cmd === 'check') {
        await runtime.checkNetworkList(list, rt);
      } else {
        await runtime.delNetworkList(list, rt);
      }
      return 0;
    }
    case 'status':
      await runtime.getStatusNetworkList(list);
      return 0;
    case 'gc': {
      const validAttachments = rest.slice(1).map((a) => {
        const [containerID, ifname] = a.split('/');
        if (!containerID || !ifname) {
          throw new InvalidEnvironmentError(`gc: expected CONTAINERID/IFNAME, got "${a}"`);
        }
        return { containerID, ifname };
      });
      await runtime.gcNetworkList(list, { validAttachments });
      return 0;
    }
    case 'version': {
      const plugins = [];
      for (const p of list.plugins)
        plugins.push({ type: p.type, ...(await runtime.getVersionInfo(p.type)) });
      process.stdout.write(
        `${JSON.stringify({ network: list.name, cniVersion: list.cniVersion, plugins }, null, 2)}\n`,
      );
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

function runtimeConf(netnsArg: string | undefined, env: NodeJS.ProcessEnv): RuntimeConf {
  if (!netnsArg) throw new InvalidEnvironmentError('missing NETNS argument');
  const netns = netnsArg.includes('/') ? netnsArg : `/run/netns/${netnsArg}`;
  // cnitool derives the container ID from the namespace path so add and del agree.
  const containerId =
    env.CNI_CONTAINERID ||
    `cnitool-${createHash('sha512').update(netns).digest('hex')}`.slice(0, 20);
  const rt: RuntimeConf = { containerId, netns, ifName: env.CNI_IFNAME || 'eth0' };
  if (env.CNI_ARGS) rt.args = [...parseCniArgs(env.CNI_ARGS)];
  if (env.CAP_ARGS) {
    try {
      rt.capabilityArgs = JSON.parse(env.CAP_ARGS) as Record<string, unknown>;
    } catch (e) {
      throw new InvalidEnvironmentError('CAP_ARGS: invalid JSON', (e as Error).message);
    }
  }
  return rt;
}

// tsc does not set the executable bit; after one `node cnitool.js` the file runs directly too.
// (npm's bin link sets it on install; this covers a plain checkout.)
function ensureExecutable(): void {
  try {
    const self = fileURLToPath(import.meta.url);
    const { mode } = statSync(self);
    if ((mode & 0o111) !== 0o111) chmodSync(self, mode | 0o111);
  } catch {
    // Read-only install or not ours to change: running through node still works.
  }
}

ensureExecutable();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = toCniError(e);
    if (!(e instanceof CniError) && e instanceof Error && e.stack)
      process.stderr.write(`${e.stack}\n`);
    process.stderr.write(`${JSON.stringify(err.toJSON())}\n`);
    process.exitCode = 1;
  },
);
