import { InvalidNetworkConfigError } from '../errors.js';
import { DEFAULT_CONFIG_VERSION, negotiateVersion, versionAtLeast } from '../version/versions.js';
import type { NetworkConfigList, PluginConf } from './config.js';
import { FieldReader, showValue } from './fields.js';
import { validateNetworkName } from './names.js';
import { checkPluginFields, decodeJson } from './validate-config.js';

/**
 * Parses a network configuration list. A legacy single-plugin config (no `plugins` key) is
 * accepted for versions below 1.0.0 and lifted into a one-plugin list, as libcni does; 1.0.0
 * removed single configs. `cniVersion`/`cniVersions` are negotiated to one version, which every
 * plugin entry then carries together with the list's `name`.
 */
export function parseConfList(text: string | Buffer): NetworkConfigList {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const r = FieldReader.of(
    decodeJson(bytes, 'network configuration'),
    '',
    InvalidNetworkConfigError,
  );
  if (!r.has('plugins')) return fromSingleConf(r, bytes);

  const name = r.string('name', true);
  validateNetworkName(name);
  const declared = r.matching('cniVersion', /^\d+\.\d+\.\d+$/, 'a version like 1.1.0');
  const cniVersions = r.stringArray('cniVersions');
  cniVersions?.forEach((v, i) => {
    if (!/^\d+\.\d+\.\d+$/.test(v)) r.fail(`cniVersions[${i}]`, 'a version like 1.1.0', v);
  });
  if (!declared && !cniVersions?.length) r.fail('cniVersion', 'a version like 1.1.0');
  const cniVersion = negotiateVersion(declared, cniVersions);

  const entries = r.objects('plugins', true)!;
  if (entries.length === 0) r.fail('plugins', 'at least one plugin');
  const plugins = entries.map((p) => {
    checkPluginFields(p);
    return { ...p.obj, name, cniVersion } as PluginConf;
  });

  const list: NetworkConfigList = { cniVersion, name, plugins, bytes };
  if (cniVersions) list.cniVersions = cniVersions;
  const disableCheck = r.boolish('disableCheck');
  if (disableCheck !== undefined) list.disableCheck = disableCheck;
  const disableGC = r.boolish('disableGC');
  if (disableGC !== undefined) list.disableGC = disableGC;
  const inlined = r.boolish('loadOnlyInlinedPlugins');
  if (inlined !== undefined) list.loadOnlyInlinedPlugins = inlined;
  return list;
}

function fromSingleConf(r: FieldReader, bytes: Buffer): NetworkConfigList {
  if (!r.has('type')) {
    throw new InvalidNetworkConfigError(
      'network configuration has neither "plugins" (a list) nor "type" (a single plugin config)',
    );
  }
  const name = r.string('name', true);
  validateNetworkName(name);
  checkPluginFields(r);
  const cniVersion = negotiateVersion(r.string('cniVersion') ?? DEFAULT_CONFIG_VERSION, undefined);
  if (versionAtLeast(cniVersion, '1.0.0')) {
    throw new InvalidNetworkConfigError(
      `single plugin configurations were removed in CNI 1.0.0, got cniVersion ${showValue(cniVersion)}`,
      'wrap the plugin in {"cniVersion", "name", "plugins": [...]}',
    );
  }
  const plugin = { ...r.obj, name, cniVersion } as PluginConf;
  return { cniVersion, name, plugins: [plugin], bytes };
}
