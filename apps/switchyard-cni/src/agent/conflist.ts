import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ConflistInput {
  network: string;
  /** The node's pod CIDRs, primary family first; one range set each. */
  podCidrs: readonly string[];
  bridge: string;
  mtu: number;
  dataDir: string;
  agentSocket: string;
  nodeBinary: string;
  standaloneScript: string;
}

/**
 * The network configuration list the runtime reads: the `switchyard` plugin (bridge + in-process
 * IPAM in host-local's format, ranges from the node's podCIDRs) with the portMappings capability.
 * Everything the standalone fallback needs is in here, so it works without the agent.
 */
export function buildConflist(input: ConflistInput): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: input.network,
    plugins: [
      {
        type: 'switchyard',
        bridge: input.bridge,
        mtu: input.mtu,
        agentSocket: input.agentSocket,
        nodeBinary: input.nodeBinary,
        standaloneScript: input.standaloneScript,
        capabilities: { portMappings: true },
        ipam: {
          type: 'switchyard-ipam',
          dataDir: input.dataDir,
          ranges: input.podCidrs.map((subnet) => [{ subnet }]),
        },
      },
    ],
  };
}

/**
 * Writes the conflist the way kindnet does, atomically: a temporary name the runtime ignores
 * (it only loads .conf, .conflist and .json), then rename, so the runtime never reads half a file.
 * Returns false when the file already held exactly this content (nothing written).
 */
export function writeConflist(dir: string, fileName: string, conflist: object): boolean {
  const path = join(dir, fileName);
  const text = `${JSON.stringify(conflist, null, 2)}\n`;
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    // Not there yet.
  }
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.temp`;
  writeFileSync(temp, text, { mode: 0o644 });
  renameSync(temp, path);
  return true;
}
