import { CniError } from '../errors.js';
import { execPlugin } from '../exec/exec-plugin.js';

/** One plugin call: the verb, stdin, and the CNI_* values that differ from the defaults. */
export interface Invocation {
  verb: string;
  conf: object | string;
  containerId?: string;
  netns?: string;
  /** Variables to leave out of the environment (to provoke code 4). */
  omit?: readonly string[];
}

/**
 * Runs the plugin under test the way a runtime would, inside the node namespace, with a minimal
 * environment (PATH plus the CNI_* variables), and discards its stderr.
 */
export class PluginInvoker {
  constructor(
    private readonly pluginPath: string,
    private readonly cniPath: readonly string[],
    private readonly ifName: string,
    private readonly nodeNetns: string,
    private readonly defaultContainerId: string,
  ) {}

  call({ verb, conf, containerId, netns, omit = [] }: Invocation): Promise<Buffer> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      CNI_COMMAND: verb,
      CNI_CONTAINERID: containerId ?? this.defaultContainerId,
      CNI_NETNS: netns ?? '',
      CNI_IFNAME: this.ifName,
      CNI_PATH: this.cniPath.join(':'),
    };
    for (const name of omit) delete env[name];
    const stdin = typeof conf === 'string' ? conf : JSON.stringify(conf);
    return execPlugin(this.pluginPath, Buffer.from(stdin), {
      env,
      timeoutMs: 30_000,
      wrapper: ['ip', 'netns', 'exec', this.nodeNetns],
      onStderr: () => undefined,
    });
  }

  /** Resolves with a description when the call fails with `code` (and names `mention`). */
  async expectError(inv: Invocation, code: number, mention?: RegExp): Promise<string> {
    let err: unknown;
    try {
      await this.call(inv);
    } catch (e) {
      err = e;
    }
    if (err === undefined) throw new Error(`succeeded; expected error code ${code}`);
    if (!(err instanceof CniError)) throw err as Error;
    if (err.code !== code) {
      throw new Error(`got code ${err.code} (${err.message}); expected ${code}`);
    }
    if (mention && !mention.test(err.message)) {
      throw new Error(`message ${JSON.stringify(err.message)} does not name ${mention.source}`);
    }
    return `code ${code}: ${err.message}`;
  }
}
