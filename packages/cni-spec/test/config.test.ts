import { describe, expect, it } from 'vitest';
import {
  IncompatibleVersionError,
  InvalidEnvironmentError,
  InvalidNetworkConfigError,
  UnknownContainerError,
  UnsupportedFieldError,
  checkCniArgs,
  formatCniArgs,
  negotiateVersion,
  parseCniArgs,
  parseConfList,
  parsePluginConf,
  validateContainerId,
  validateIfName,
  validateNetworkName,
} from '../src/index.js';

const list = (extra: object = {}): string =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'podnet',
    plugins: [
      { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.1.0.0/24' } },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
    ...extra,
  });

describe('network configuration lists', () => {
  it('parses a list, stamps name and cniVersion on each plugin and keeps unknown fields', () => {
    const l = parseConfList(list({ disableCheck: 'true', vendorKey: { x: 1 } }));
    expect(l.name).toBe('podnet');
    expect(l.cniVersion).toBe('1.0.0');
    expect(l.disableCheck).toBe(true);
    expect(l.plugins[0]).toEqual({
      type: 'bridge',
      bridge: 'cni0',
      ipam: { type: 'host-local', subnet: '10.1.0.0/24' },
      name: 'podnet',
      cniVersion: '1.0.0',
    });
    expect(l.plugins[1]?.snat).toBe(true);
    expect(l.bytes?.toString()).toContain('vendorKey');
  });

  it('negotiates cniVersion + cniVersions to the highest supported version', () => {
    expect(parseConfList(list({ cniVersions: ['0.4.0', '1.1.0', '2.0.0'] })).cniVersion).toBe(
      '1.1.0',
    );
    expect(negotiateVersion('0.3.1', ['0.4.0'])).toBe('0.4.0');
    expect(negotiateVersion(undefined, ['1.0.0', '0.3.1'])).toBe('1.0.0');
    expect(() => negotiateVersion('5.0.0', ['3.0.0'])).toThrow(IncompatibleVersionError);
    expect(() => negotiateVersion('5.0.0', ['3.0.0'])).toThrow(/5\.0\.0/);
  });

  it('accepts a legacy single config below 1.0.0 and rejects it from 1.0.0 on', () => {
    const single = { cniVersion: '0.3.1', name: 'old', type: 'bridge', bridge: 'br0' };
    const l = parseConfList(JSON.stringify(single));
    expect(l.plugins).toEqual([single]);
    expect(l.cniVersion).toBe('0.3.1');
    expect(() => parseConfList(JSON.stringify({ ...single, cniVersion: '1.0.0' }))).toThrow(
      /single plugin configurations were removed in CNI 1\.0\.0, got cniVersion "1\.0\.0"/,
    );
    // Without cniVersion a single config is 0.1.0, as libcni reads it.
    expect(parseConfList(JSON.stringify({ name: 'n', type: 'bridge' })).cniVersion).toBe('0.1.0');
  });

  it('names the field and value of every error', () => {
    const bad =
      (v: object): (() => unknown) =>
      () =>
        parseConfList(JSON.stringify(v));
    const base = JSON.parse(list()) as Record<string, unknown>;
    expect(bad({ ...base, plugins: [] })).toThrow(
      /plugins: expected at least one plugin, got \[\]/,
    );
    expect(bad({ ...base, plugins: [{ bridge: 'x' }] })).toThrow(
      /plugins\[0\]\.type: expected a non-empty string, got undefined/,
    );
    expect(bad({ ...base, plugins: [{ type: 'x', ipam: { type: 5 } }] })).toThrow(
      /plugins\[0\]\.ipam\.type: expected a non-empty string, got 5/,
    );
    expect(bad({ ...base, name: 'bad name' })).toThrow(
      /invalid characters in network name "bad name"/,
    );
    expect(bad({ ...base, cniVersion: 'one' })).toThrow(
      /cniVersion: expected a version like 1\.1\.0, got "one"/,
    );
    expect(bad({ ...base, disableGC: 'maybe' })).toThrow(
      /disableGC: expected true or false, got "maybe"/,
    );
    expect(
      bad({
        ...base,
        plugins: [
          { type: 'x', runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80 }] } },
        ],
      }),
    ).toThrow(
      /plugins\[0\]\.runtimeConfig\.portMappings\[0\]\.hostPort: expected an integer in 1\.\.65535, got 70000/,
    );
    expect(
      bad({ ...base, plugins: [{ type: 'x', capabilities: { portMappings: 'yes' } }] }),
    ).toThrow(/plugins\[0\]\.capabilities\.portMappings: expected true or false, got "yes"/);
    expect(() => parseConfList('{"name":')).toThrow(/invalid JSON/);
    expect(bad({ ...base, plugins: [{ type: 'x' }], cniVersion: undefined })).toThrow(
      InvalidNetworkConfigError,
    );
  });
});

describe('plugin configuration (stdin)', () => {
  it('keeps unknown fields, runtimeConfig, args and prevResult', () => {
    const conf = parsePluginConf({
      cniVersion: '1.1.0',
      name: 'net',
      type: 'mine',
      mySetting: [1, 2],
      runtimeConfig: {
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        ips: ['10.0.0.9/24'],
      },
      args: { cni: { ips: ['10.0.0.9'] } },
      prevResult: { cniVersion: '1.1.0', ips: [] },
      'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }],
    });
    expect(conf.mySetting).toEqual([1, 2]);
    expect(conf.runtimeConfig?.portMappings?.[0]?.hostPort).toBe(8080);
    expect(conf['cni.dev/valid-attachments']).toEqual([{ containerID: 'c1', ifname: 'eth0' }]);
  });

  it('accepts what containerd sends: dns capability shape, an empty hostIP, labels in args', () => {
    const conf = parsePluginConf({
      cniVersion: '1.0.0',
      name: 'net',
      type: 'portmap',
      runtimeConfig: {
        portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'TCP', hostIP: '' }],
        dns: { servers: ['10.96.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
      },
      args: { cni: { labels: [{ key: 'app', value: 'web' }] } },
    });
    expect(conf.runtimeConfig?.dns?.servers).toEqual(['10.96.0.10']);
    expect(() =>
      parsePluginConf({ name: 'n', type: 't', runtimeConfig: { dns: { servers: '10.0.0.1' } } }),
    ).toThrow(/runtimeConfig\.dns\.servers: expected an array, got "10\.0\.0\.1"/);
  });

  it('defaults cniVersion to 0.1.0 and requires name and type', () => {
    expect(parsePluginConf({ name: 'n', type: 't' }).cniVersion).toBe('0.1.0');
    expect(() => parsePluginConf({ type: 't' })).toThrow(/name: expected a non-empty string/);
    expect(() => parsePluginConf({ name: 'n' })).toThrow(/type: expected a non-empty string/);
    expect(() => parsePluginConf([1])).toThrow(/expected a JSON object, got \[1\]/);
    expect(() =>
      parsePluginConf({
        name: 'n',
        type: 't',
        'cni.dev/valid-attachments': [{ containerID: 'c' }],
      }),
    ).toThrow(/cni\.dev\/valid-attachments\[0\]\.ifname/);
    expect(() =>
      parsePluginConf({ name: 'n', type: 't', runtimeConfig: { ips: ['nope'] } }),
    ).toThrow(/runtimeConfig\.ips\[0\]: expected an IP address or CIDR, got "nope"/);
  });
});

describe('CNI_ARGS', () => {
  it('parses and formats K=V;K2=V2', () => {
    const m = parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=10.0.0.5;');
    expect([...m]).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAME', 'web-0'],
      ['IP', '10.0.0.5'],
    ]);
    expect(formatCniArgs(m)).toBe('IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=10.0.0.5');
    expect(parseCniArgs('').size).toBe(0);
    expect(() => parseCniArgs('A=1;broken')).toThrow(InvalidEnvironmentError);
    expect(() => parseCniArgs('A=1;broken')).toThrow(/"broken"/);
  });

  it('rejects unknown keys unless IgnoreUnknown is set', () => {
    expect(() => checkCniArgs(parseCniArgs('FOO=bar'), ['IP'])).toThrow(UnsupportedFieldError);
    expect(() => checkCniArgs(parseCniArgs('FOO=bar'), ['IP'])).toThrow(/"FOO" \(value "bar"\)/);
    expect(() => checkCniArgs(parseCniArgs('IgnoreUnknown=true;FOO=bar'), ['IP'])).not.toThrow();
    expect(() => checkCniArgs(parseCniArgs('IP=10.0.0.1'), ['IP'])).not.toThrow();
  });
});

describe('names', () => {
  it('applies libcni rules to container IDs, network names and interface names', () => {
    expect(() => validateContainerId('')).toThrow(UnknownContainerError);
    expect(() => validateContainerId('-abc')).toThrow(InvalidEnvironmentError);
    expect(() => validateContainerId('abc_1.2-x')).not.toThrow();
    expect(() => validateNetworkName('net/1')).toThrow(InvalidNetworkConfigError);
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'x'.repeat(16)]) {
      expect(() => validateIfName(bad), bad).toThrow(InvalidEnvironmentError);
    }
    expect(() => validateIfName('x'.repeat(15))).not.toThrow();
    expect(() => validateIfName('eth0.100')).not.toThrow();
  });
});
