import { DecodingFailureError, InvalidNetworkConfigError } from '../errors.js';
import { DEFAULT_CONFIG_VERSION } from '../version/versions.js';
import type { PluginConf } from './config.js';
import { FieldReader, isCidr } from './fields.js';
import { validateNetworkName } from './names.js';

const SEMVER = /^\d+\.\d+\.\d+$/;

/** Parses JSON text (or a Buffer of it), throwing code 6 with the parser's reason. */
export function decodeJson(text: string | Buffer, what: string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch (e) {
    throw new DecodingFailureError(`${what}: invalid JSON`, (e as Error).message);
  }
}

/**
 * Validates a plugin configuration as a plugin receives it on stdin (name and type required,
 * cniVersion defaulting to 0.1.0) and returns it with every field, known or not, preserved.
 */
export function parsePluginConf(value: unknown): PluginConf {
  const r = FieldReader.of(value, '', InvalidNetworkConfigError);
  const name = r.string('name', true);
  validateNetworkName(name);
  checkPluginFields(r);
  const conf = { ...r.obj } as PluginConf;
  conf.cniVersion =
    r.matching('cniVersion', SEMVER, 'a version like 1.1.0') ?? DEFAULT_CONFIG_VERSION;
  return conf;
}

/** Type-checks the well-known keys of one plugin configuration; unknown keys are left alone. */
export function checkPluginFields(r: FieldReader): void {
  r.string('type', true);
  r.matching('cniVersion', SEMVER, 'a version like 1.1.0');
  const caps = r.object('capabilities');
  for (const key of Object.keys(caps?.obj ?? {})) caps!.bool(key);
  r.bool('ipMasq');
  r.object('ipam')?.string('type', true);
  checkDns(r.object('dns'));
  const rc = r.object('runtimeConfig');
  if (rc) checkRuntimeConfig(rc);
  const cniArgs = r.object('args')?.object('cni');
  cniArgs?.stringArray('ips');
  for (const label of cniArgs?.objects('labels') ?? []) {
    label.string('key', true);
    label.string('value');
  }
  if (r.has('prevResult')) r.object('prevResult');
  for (const a of r.objects('cni.dev/valid-attachments') ?? []) {
    a.string('containerID', true);
    a.string('ifname', true);
  }
}

function checkDns(d: FieldReader | undefined): void {
  if (!d) return;
  d.stringArray('nameservers');
  d.string('domain');
  d.stringArray('search');
  d.stringArray('options');
}

/** Checks the shapes CONVENTIONS.md gives the well-known capabilities. */
function checkRuntimeConfig(rc: FieldReader): void {
  for (const pm of rc.objects('portMappings') ?? []) {
    if (pm.int('hostPort', 1, 65535) === undefined) pm.fail('hostPort', 'a port number');
    if (pm.int('containerPort', 1, 65535) === undefined) pm.fail('containerPort', 'a port number');
    pm.matching('protocol', /^(tcp|udp|sctp)$/i, 'tcp, udp or sctp');
    pm.ip('hostIP');
  }
  const ranges = rc.array('ipRanges');
  ranges?.forEach((set, i) => {
    if (!Array.isArray(set)) rc.fail(`ipRanges[${i}]`, 'an array of ranges', set);
    set.forEach((range: unknown, j: number) => {
      const f = FieldReader.of(
        range,
        `${rc.field('ipRanges')}[${i}][${j}]`,
        InvalidNetworkConfigError,
      );
      f.cidr('subnet', true);
      f.ip('rangeStart');
      f.ip('rangeEnd');
      f.ip('gateway');
    });
  });
  const bw = rc.object('bandwidth');
  for (const key of ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst']) bw?.int(key, 0);
  const dns = rc.object('dns');
  dns?.stringArray('servers');
  dns?.stringArray('searches');
  dns?.stringArray('options');
  const ips = rc.stringArray('ips');
  ips?.forEach((ip, i) => {
    if (!isCidr(ip) && !isCidr(`${ip}/${ip.includes(':') ? 128 : 32}`)) {
      rc.fail(`ips[${i}]`, 'an IP address or CIDR', ip);
    }
  });
  rc.string('mac');
  rc.string('infinibandGUID');
  rc.string('deviceID');
  rc.stringArray('aliases');
  rc.string('cgroupPath');
}
