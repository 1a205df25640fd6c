import { readFile } from 'node:fs/promises';
import { compile, formatTrace, renderFullSync, trace, type Packet } from '@switchyard/proxy-rules';
import { modelFromYaml, type ClusterFileOptions } from './cluster-file.js';

export const USAGE = `usage:
  proxy-rules-offline FILE [--node NAME] [--cluster-cidr CIDR]...
      print the nftables ruleset switchyard-proxy would load on that node (for nft -f)
  proxy-rules-offline FILE [--node NAME] [--cluster-cidr CIDR]... --trace PROTO SOURCE DEST:PORT [--from pod|node|outside]
      trace the first packet of a connection through those rules`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Args extends ClusterFileOptions {
  file: string;
  packet?: Packet;
}

const FROM = new Set<Packet['from']>(['pod', 'node', 'outside']);
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function parsePacket(proto: string, source: string, dest: string, from: string): Packet {
  const protocol = proto.toLowerCase();
  if (!PROTOCOLS.has(protocol)) throw new UsageError(`unknown protocol ${proto}`);
  // The port follows the last colon, so [fd00::1]:80 and 10.0.0.1:80 both work.
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(dest);
  if (!m) throw new UsageError(`expected DEST:PORT, got ${dest}`);
  if (!FROM.has(from as Packet['from']))
    throw new UsageError(`--from must be pod, node or outside`);
  return {
    protocol: protocol as Packet['protocol'],
    source,
    destination: m[1] as string,
    port: Number(m[2]),
    from: from as Packet['from'],
  };
}

export function parseArgs(argv: readonly string[]): Args {
  const rest = [...argv];
  const take = (flag: string): string => {
    const v = rest.shift();
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  let file: string | undefined;
  let traceArgs: [string, string, string] | undefined;
  let from = 'pod';
  const args: Partial<Args> = {};
  while (rest.length > 0) {
    const a = rest.shift() as string;
    if (a === '--node') args.node = take(a);
    else if (a === '--cluster-cidr') (args.clusterCidrs ??= []).push(take(a));
    else if (a === '--from') from = take(a);
    else if (a === '--trace') traceArgs = [take(a), take(a), take(a)];
    else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
    else if (file === undefined) file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (file === undefined) throw new UsageError('name a YAML file');
  const out: Args = { ...args, file };
  if (traceArgs) out.packet = parsePacket(...traceArgs, from);
  return out;
}

/** Runs one command line and returns what it prints. */
export async function offline(argv: readonly string[]): Promise<string> {
  const args = parseArgs(argv);
  const compiled = compile(modelFromYaml(await readFile(args.file, 'utf8'), args));
  if (args.packet) return formatTrace(trace(compiled.ruleset, args.packet));
  // nft reads `#` lines as comments, so the output stays loadable with the reasons in it.
  const skipped = compiled.skipped.map(
    (s) => `# skipped ${s.kind} ${s.namespace}/${s.name}: ${s.reason}\n`,
  );
  return `${skipped.join('')}${renderFullSync(compiled.ruleset)}\n`;
}
