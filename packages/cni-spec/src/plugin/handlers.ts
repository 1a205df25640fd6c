import type { PluginConf } from '../types/config.js';
import type { Result } from '../types/result.js';

/** What a verb handler gets: the CNI_* environment plus the parsed and raw stdin. */
export interface CmdArgs {
  containerId: string;
  netns: string;
  ifName: string;
  /** Raw CNI_ARGS; parse with `parseCniArgs`. */
  args: string;
  /** CNI_PATH split on ':'. */
  path: string[];
  /** The config bytes exactly as received, to hand to delegates unchanged. */
  stdinData: Buffer;
  /** Parsed stdin with unknown fields preserved; `cniVersion` is always set. */
  config: PluginConf;
}

/**
 * A plugin's verbs. `add` may return a result in any version (one without `cniVersion` is taken
 * to be the config's); the skeleton prints it converted to the config's version. A missing
 * `check`, `status` or `gc` handler answers success (nothing to verify, collect or report).
 */
export interface PluginHandlers {
  add(args: CmdArgs): Promise<Result>;
  check?(args: CmdArgs): Promise<void>;
  del(args: CmdArgs): Promise<void>;
  status?(args: CmdArgs): Promise<void>;
  /** Valid attachments are in `args.config['cni.dev/valid-attachments']`. */
  gc?(args: CmdArgs): Promise<void>;
}

/** Version support and the line printed on stderr when the plugin is run by hand. */
export interface PluginInfo {
  /** Defaults to every version the SDK implements. */
  supportedVersions?: readonly string[];
  about?: string;
}

/** The process surface the skeleton reads and writes; `pluginMain` binds it to the real one. */
export interface PluginIo {
  env: NodeJS.ProcessEnv;
  readStdin(): Promise<Buffer>;
  stdout(text: string): void;
  stderr(text: string): void;
}
