import { describe, expect, it } from 'vitest';
import { InvalidRangeError, IpamConfigError } from '../src/errors.js';
import { parseIpamConfig } from '../src/ipam-config.js';
import { nodeRangeConfigs, nodeRangeSets } from '../src/node-ranges.js';
import { parseResolvConf } from '../src/resolv-conf.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'bridge' };

describe('parseIpamConfig', () => {
  it('merges ipRanges capability, the legacy single range and ranges, in host-local order', () => {
    const c = parseIpamConfig({
      ...base,
      runtimeConfig: { ipRanges: [[{ subnet: '10.9.0.0/24' }]] },
      ipam: {
        type: 'switchyard-ipam',
        subnet: '10.8.0.0/24',
        gateway: '10.8.0.254',
        ranges: [[{ subnet: 'fd00::/64' }]],
        dataDir: '/run/x',
        resolvConf: '/etc/resolv.conf',
        routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1', priority: 5 }],
      },
    });
    expect(c.rangeSets.map(String)).toEqual([
      '10.9.0.1-10.9.0.254',
      '10.8.0.1-10.8.0.254',
      'fd00::1-fd00::ffff:ffff:ffff:ffff',
    ]);
    expect(c.rangeSets[1]!.ranges[0]!.gateway.toString()).toBe('10.8.0.254');
    expect(c).toMatchObject({
      name: 'net',
      cniVersion: '1.0.0',
      dataDir: '/run/x',
      resolvConf: '/etc/resolv.conf',
    });
    expect(c.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1', priority: 5 }]);
  });

  it('collects requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips (prefix dropped)', () => {
    const c = parseIpamConfig(
      {
        ...base,
        args: { cni: { ips: ['fd00::9'] } },
        runtimeConfig: { ips: ['10.1.0.7/24'] },
        ipam: { type: 'x', ranges: [[{ subnet: '10.1.0.0/24' }]] },
      },
      '10.1.0.5,10.1.0.6',
    );
    expect(c.requested.map(String)).toEqual(['10.1.0.5', '10.1.0.6', 'fd00::9', '10.1.0.7']);
  });

  it('rejects bad configurations with code 7 and the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...base }, /ipam: missing "ipam"/],
      [{ ...base, ipam: 'x' }, /ipam: must be an object/],
      [{ ...base, name: '', ipam: { type: 'x' } }, /name: must be a non-empty string/],
      [{ ...base, ipam: { type: 'x' } }, /no IP ranges specified/],
      [{ ...base, ipam: { type: 'x', ranges: [] } }, /no IP ranges specified/],
      [{ ...base, ipam: { type: 'x', ranges: [[]] } }, /ipam\.ranges\[0\]: empty range set/],
      [{ ...base, ipam: { type: 'x', ranges: {} } }, /ipam\.ranges: must be a list of range sets/],
      [
        { ...base, ipam: { type: 'x', ranges: [{ subnet: '10.0.0.0/24' }] } },
        /ipam\.ranges\[0\]: must be a list of ranges/,
      ],
      [
        {
          ...base,
          ipam: { type: 'x', ranges: [[{ subnet: '10.0.0.0/16' }], [{ subnet: '10.0.1.0/24' }]] },
        },
        /range set 0 overlaps with range set 1/,
      ],
      [
        {
          ...base,
          ipam: { type: 'x', ranges: [[{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }]] },
        },
        /ipam\.ranges\[0\]\[0\]\.gateway: 10\.0\.1\.1 not in network/,
      ],
      [
        { ...base, ipam: { type: 'x', subnet: '10.0.0.0/31' } },
        /ipam\.subnet: network 10\.0\.0\.0\/31 too small/,
      ],
      [
        {
          ...base,
          cniVersion: '0.2.0',
          ipam: { type: 'x', ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.1.0.0/24' }]] },
        },
        /CNI version 0\.2\.0 does not support more than 1 address per family/,
      ],
      [
        { ...base, args: { cni: { ips: ['nope'] } }, ipam: { type: 'x', subnet: '10.0.0.0/24' } },
        /args\.cni\.ips\[0\]/,
      ],
      [
        { ...base, runtimeConfig: { ips: 'x' }, ipam: { type: 'x', subnet: '10.0.0.0/24' } },
        /runtimeConfig\.ips: must be a list/,
      ],
      [
        { ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', routes: [{ gw: '1.2.3.4' }] } },
        /ipam\.routes\[0\]: needs a "dst"/,
      ],
      [
        { ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', routes: [{ dst: '10.0.0.0/33' }] } },
        /ipam\.routes\[0\]/,
      ],
      [
        { ...base, ipam: { type: 'x', subnet: '10.0.0.0/24', dataDir: 5 } },
        /ipam\.dataDir: must be a string/,
      ],
    ];
    for (const [config, message] of cases) {
      let err: unknown;
      try {
        parseIpamConfig(config);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(config)).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(message);
      expect(err instanceof IpamConfigError || err instanceof InvalidRangeError).toBe(true);
      expect((err as IpamConfigError).cniCode).toBe(7);
    }
    // A requested address in CNI_ARGS that does not parse.
    expect(() =>
      parseIpamConfig({ ...base, ipam: { type: 'x', subnet: '10.0.0.0/24' } }, '10.0.0'),
    ).toThrow(/CNI_ARGS IP\[0\]/);
  });
});

describe('parseResolvConf', () => {
  it('reads nameservers, the last domain, search and options; skips comments', () => {
    const dns = parseResolvConf(
      '# comment\n; also\nnameserver 10.96.0.10\nnameserver fd00::a\ndomain a.local\ndomain b.local\nsearch x.svc y.svc\nsearch z\noptions ndots:5 edns0\nsortlist 1.2.3.4\nnameserver\n',
    );
    expect(dns).toEqual({
      nameservers: ['10.96.0.10', 'fd00::a'],
      domain: 'b.local',
      search: ['x.svc', 'y.svc', 'z'],
      options: ['ndots:5', 'edns0'],
    });
    expect(parseResolvConf('')).toEqual({});
  });
});

describe('node ranges', () => {
  it('turns a dual-stack Node into one range set per pod CIDR, primary family first', () => {
    const node = {
      metadata: { name: 'n1' },
      spec: { podCIDR: 'fd00:10:244:1::/64', podCIDRs: ['fd00:10:244:1::/64', '10.244.1.0/24'] },
    };
    expect(nodeRangeConfigs(node)).toEqual([
      [{ subnet: 'fd00:10:244:1::/64' }],
      [{ subnet: '10.244.1.0/24' }],
    ]);
    const sets = nodeRangeSets(node);
    expect(sets.map((s) => s.family)).toEqual([6, 4]);
    expect(sets[1]!.toString()).toBe('10.244.1.1-10.244.1.254');
    expect(sets[1]!.ranges[0]!.gateway.toString()).toBe('10.244.1.1');
  });

  it('falls back to spec.podCIDR', () => {
    expect(nodeRangeConfigs({ spec: { podCIDR: '10.244.3.0/24' } })).toEqual([
      [{ subnet: '10.244.3.0/24' }],
    ]);
    expect(nodeRangeConfigs({ spec: { podCIDR: '10.244.3.0/24', podCIDRs: [] } })).toEqual([
      [{ subnet: '10.244.3.0/24' }],
    ]);
  });

  it('rejects a node without a CIDR, a malformed one, two of one family, or one too small', () => {
    expect(() => nodeRangeConfigs({ metadata: { name: 'n9' }, spec: {} })).toThrow(
      /node n9 has no pod CIDR assigned yet/,
    );
    expect(() => nodeRangeConfigs({})).toThrow(IpamConfigError);
    expect(() => nodeRangeConfigs({ spec: { podCIDRs: ['10.244.1.0/24', 'bogus'] } })).toThrow(
      /spec\.podCIDRs\[1\]/,
    );
    expect(() =>
      nodeRangeConfigs({ spec: { podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'] } }),
    ).toThrow(/two IPv4 pod CIDRs/);
    expect(() => nodeRangeSets({ spec: { podCIDRs: ['10.244.1.0/31'] } })).toThrow(/too small/);
  });
});
