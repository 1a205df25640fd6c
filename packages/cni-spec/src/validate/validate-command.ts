import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidEnvironmentError } from '../errors.js';
import { isObject } from '../types/fields.js';
import { decodeJson } from '../types/validate-config.js';
import { formatTable } from './checks.js';
import { validatePlugin, type ValidateOptions } from './validate-plugin.js';

/** `validate-plugin PATH [--config FILE] [--cni-path DIRS] [--ifname NAME] [--json]`. */
export async function runValidateCommand(args: string[]): Promise<number> {
  let pluginPath: string | undefined;
  let configFile: string | undefined;
  let json = false;
  const opts: Partial<ValidateOptions> = {
    cniPath: (process.env.CNI_PATH || '/opt/cni/bin:/usr/lib/cni').split(':').filter(Boolean),
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new InvalidEnvironmentError(`validate-plugin: ${a} needs a value`);
      return v;
    };
    if (a === '--config') configFile = value();
    else if (a === '--cni-path') opts.cniPath = value().split(':').filter(Boolean);
    else if (a === '--ifname') opts.ifName = value();
    else if (a === '--json') json = true;
    else if (!a.startsWith('-') && pluginPath === undefined) pluginPath = resolve(a);
    else
      throw new InvalidEnvironmentError(
        `validate-plugin: unexpected argument ${JSON.stringify(a)}`,
      );
  }
  if (!pluginPath) throw new InvalidEnvironmentError('validate-plugin: missing PLUGIN_PATH');
  if (configFile) opts.config = await readConfig(configFile);
  const report = await validatePlugin({ ...opts, pluginPath });
  process.stdout.write(
    json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `plugin ${report.plugin} (config version ${report.cniVersion})\n${formatTable(report.checks)}`,
  );
  return report.ok ? 0 : 1;
}

/** A plugin config, or a conflist whose first plugin is the one under test. */
async function readConfig(file: string): Promise<Record<string, unknown>> {
  const parsed = decodeJson(await readFile(file), file);
  if (!isObject(parsed)) throw new InvalidEnvironmentError(`${file}: expected a JSON object`);
  if (Array.isArray(parsed.plugins)) {
    const first = parsed.plugins[0];
    if (!isObject(first)) throw new InvalidEnvironmentError(`${file}: plugins[0] is not an object`);
    return { ...first, name: parsed.name, cniVersion: parsed.cniVersion };
  }
  return parsed;
}
