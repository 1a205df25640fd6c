import { CNI_MODES, COMPONENTS, type CniMode, type Component } from '@switchyard/testbed';

/** A command line the CLI could not understand; the message says what was expected. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Command =
  | { kind: 'help' }
  | { kind: 'demo' }
  | {
      kind: 'up';
      name?: string;
      nodes?: number;
      underlay?: string;
      cni?: CniMode;
      /** Absent: every component (none with `--cni external`). */
      components?: Component[];
    }
  | { kind: 'down'; name?: string }
  | { kind: 'status'; name?: string; json: boolean }
  | { kind: 'kubectl'; args: string[] }
  | { kind: 'exec'; target: ExecTarget; command: string[] }
  | { kind: 'logs'; namespace: string; pod: string; container?: string }
  | {
      kind: 'explain-service';
      namespace: string;
      service: string;
      node?: string;
      from: 'pod' | 'node' | 'outside';
      source?: string;
      name?: string;
      /** Read this cluster instead of the testbed. */
      kubeconfig?: string;
    };

export type ExecTarget = { node: string } | { namespace: string; pod: string };

export const USAGE = `usage:
  switchyard demo                                   (runs npm run demo: a 3-node testbed tour)
  switchyard testbed up [--nodes N] [--name NAME] [--underlay CIDR] [--cni switchyard|reference-bridge|external]
                        [--components proxy,dns,ingress|none]   (default all; none with --cni external)
  switchyard testbed down [--name NAME]
  switchyard testbed status [--name NAME] [--json]
  switchyard testbed kubectl ARGS...
  switchyard testbed exec [-n NAMESPACE] POD -- CMD...
  switchyard testbed exec node/NAME -- CMD...
  switchyard testbed logs [-n NAMESPACE] POD [-c CONTAINER]
  switchyard explain service [NAMESPACE/]SERVICE [--node NODE] [--from pod|node|outside]
                             [--source IP] [--name NAME | --kubeconfig PATH]
                                                    (where a packet to the service goes on a node)

The testbed is named "main" unless --name or SWITCHYARD_TESTBED says otherwise; explain service
reads any cluster with --kubeconfig.`;

/** Parses `switchyard ...` arguments (without the node and script paths). */
export function parseArgs(argv: readonly string[]): Command {
  const [group, verb, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    return { kind: 'help' };
  }
  if (group === 'demo') {
    if (verb !== undefined) throw new UsageError('demo takes no arguments');
    return { kind: 'demo' };
  }
  if (group === 'explain') return parseExplain(verb, rest);
  if (group !== 'testbed') throw new UsageError(`unknown command ${JSON.stringify(group)}`);
  switch (verb) {
    case undefined:
    case '--help':
    case '-h':
      return { kind: 'help' };
    case 'up': {
      const flags = parseFlags(
        rest,
        ['--nodes', '--name', '--underlay', '--cni', '--components'],
        [],
      );
      const cmd: Extract<Command, { kind: 'up' }> = { kind: 'up' };
      if (flags['--name'] !== undefined) cmd.name = flags['--name'];
      if (flags['--underlay'] !== undefined) cmd.underlay = flags['--underlay'];
      if (flags['--nodes'] !== undefined) {
        if (!/^\d+$/.test(flags['--nodes'])) throw new UsageError('--nodes takes a number');
        cmd.nodes = Number(flags['--nodes']);
      }
      const cni = flags['--cni'];
      if (cni !== undefined) {
        if (!isCniMode(cni)) throw new UsageError(`--cni is one of ${CNI_MODES.join(', ')}`);
        cmd.cni = cni;
      }
      const components = flags['--components'];
      if (components !== undefined) cmd.components = parseComponents(components);
      return cmd;
    }
    case 'down': {
      const flags = parseFlags(rest, ['--name'], []);
      return flags['--name'] === undefined
        ? { kind: 'down' }
        : { kind: 'down', name: flags['--name'] };
    }
    case 'status': {
      const flags = parseFlags(rest, ['--name'], ['--json']);
      const cmd: Extract<Command, { kind: 'status' }> = { kind: 'status', json: '--json' in flags };
      if (flags['--name'] !== undefined) cmd.name = flags['--name'];
      return cmd;
    }
    case 'kubectl':
      return { kind: 'kubectl', args: rest };
    case 'exec':
      return parseExec(rest);
    case 'logs':
      return parseLogs(rest);
    default:
      throw new UsageError(`unknown testbed command ${JSON.stringify(verb)}`);
  }
}

function parseExec(args: readonly string[]): Command {
  const dash = args.indexOf('--');
  if (dash < 0) throw new UsageError('exec needs -- before the command');
  const command = args.slice(dash + 1);
  if (command.length === 0) throw new UsageError('exec needs a command after --');
  let namespace = 'default';
  const positional: string[] = [];
  const before = args.slice(0, dash);
  for (let i = 0; i < before.length; i++) {
    const a = before[i]!;
    if (a === '-n' || a === '--namespace') {
      const v = before[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      namespace = v;
    } else if (a.startsWith('--namespace=')) {
      namespace = a.slice('--namespace='.length);
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown exec flag ${a}`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 1) throw new UsageError('exec takes exactly one POD or node/NAME');
  const target = positional[0]!;
  if (target.startsWith('node/')) {
    const node = target.slice('node/'.length);
    if (!node) throw new UsageError('node/ needs a node name');
    return { kind: 'exec', target: { node }, command };
  }
  const pod = target.startsWith('pod/') ? target.slice('pod/'.length) : target;
  return { kind: 'exec', target: { namespace, pod }, command };
}

function parseLogs(args: readonly string[]): Command {
  let namespace = 'default';
  let container: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n' || a === '--namespace' || a === '-c' || a === '--container') {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === '-n' || a === '--namespace') namespace = v;
      else container = v;
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown logs flag ${a}`);
    } else {
      positional.push(a.startsWith('pod/') ? a.slice('pod/'.length) : a);
    }
  }
  if (positional.length !== 1 || !positional[0]) throw new UsageError('logs takes exactly one POD');
  const cmd: Extract<Command, { kind: 'logs' }> = { kind: 'logs', namespace, pod: positional[0] };
  if (container !== undefined) cmd.container = container;
  return cmd;
}

/** `--flag value` / `--flag=value` for `valued`, bare `--flag` for `booleans`; nothing else. */
function parseFlags(
  args: readonly string[],
  valued: readonly string[],
  booleans: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (booleans.includes(flag) && eq < 0) {
      out[flag] = '';
    } else if (valued.includes(flag)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      out[flag] = v;
    } else {
      throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
    }
  }
  return out;
}

function parseExplain(what: string | undefined, args: readonly string[]): Command {
  if (what !== 'service') throw new UsageError('explain knows one subject: service');
  const [target, ...rest] = args;
  if (target === undefined || target.startsWith('-')) {
    throw new UsageError('explain service needs [NAMESPACE/]SERVICE');
  }
  const slash = target.indexOf('/');
  const flags = parseFlags(rest, ['--node', '--from', '--source', '--name', '--kubeconfig'], []);
  if (flags['--name'] !== undefined && flags['--kubeconfig'] !== undefined) {
    throw new UsageError('--name (a testbed) and --kubeconfig (any cluster) exclude each other');
  }
  const from = flags['--from'] ?? 'pod';
  if (from !== 'pod' && from !== 'node' && from !== 'outside') {
    throw new UsageError('--from is pod, node or outside');
  }
  const cmd: Extract<Command, { kind: 'explain-service' }> = {
    kind: 'explain-service',
    namespace: slash < 0 ? 'default' : target.slice(0, slash),
    service: slash < 0 ? target : target.slice(slash + 1),
    from,
  };
  if (flags['--node'] !== undefined) cmd.node = flags['--node'];
  if (flags['--source'] !== undefined) cmd.source = flags['--source'];
  if (flags['--name'] !== undefined) cmd.name = flags['--name'];
  if (flags['--kubeconfig'] !== undefined) cmd.kubeconfig = flags['--kubeconfig'];
  return cmd;
}

function isCniMode(value: string): value is CniMode {
  return (CNI_MODES as readonly string[]).includes(value);
}

/** `proxy,dns,ingress` (any subset, any order) or `none`. */
function parseComponents(value: string): Component[] {
  if (value === 'none') return [];
  const names = value.split(',');
  const bad = names.filter((n) => !isComponent(n));
  if (bad.length || !names.length) {
    throw new UsageError(
      `--components is a comma-separated list of ${COMPONENTS.join(', ')}, or none; got ${JSON.stringify(value)}`,
    );
  }
  return names as Component[];
}

function isComponent(value: string): value is Component {
  return (COMPONENTS as readonly string[]).includes(value);
}
