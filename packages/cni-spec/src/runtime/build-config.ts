import type { NetworkConfigList, PluginConf } from '../types/config.js';
import type { Result } from '../types/result.js';
import { formatResult } from '../version/convert.js';
import { versionAtLeast } from '../version/versions.js';

/**
 * The config one plugin of a list gets on stdin: the plugin's own keys, the list's `name` and
 * `cniVersion`, `prevResult` (in the list's version, from 0.3.0 on, when there is one) and
 * `runtimeConfig` with the capability args the plugin asked for. `capabilities` itself is not
 * passed on (the spec's derivation; libcni leaves it in, which plugins ignore).
 */
export function buildPluginConfig(
  list: NetworkConfigList,
  plugin: PluginConf,
  options: { prevResult?: Result; capabilityArgs?: Record<string, unknown>; inject?: object } = {},
): Buffer {
  const { capabilities, ...rest } = plugin;
  const conf: Record<string, unknown> = { ...rest, name: list.name, cniVersion: list.cniVersion };
  if (options.prevResult && versionAtLeast(list.cniVersion, '0.3.0')) {
    conf.prevResult = formatResult(options.prevResult, list.cniVersion);
  }
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, wanted] of Object.entries(capabilities ?? {})) {
    if (wanted && options.capabilityArgs && Object.hasOwn(options.capabilityArgs, cap)) {
      runtimeConfig[cap] = options.capabilityArgs[cap];
    }
  }
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  Object.assign(conf, options.inject);
  return Buffer.from(JSON.stringify(conf));
}
