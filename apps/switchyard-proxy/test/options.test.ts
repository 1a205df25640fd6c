import { FlagError } from '@switchyard/kube';
import { describe, expect, it } from 'vitest';
import { ProxyOptionError, duration, parseProxyOptions } from '../src/options.js';

describe('parseProxyOptions', () => {
  it('has kube-proxy-like defaults', () => {
    const o = parseProxyOptions([], { NODE_NAME: 'node-1' });
    expect(o).toMatchObject({
      nodeName: 'node-1',
      kubeconfig: undefined,
      clusterCidrs: [],
      minSyncPeriodMs: 1000,
      syncPeriodMs: 30_000,
      fullSyncPeriodMs: 3_600_000,
      healthHost: '0.0.0.0',
      healthPort: 10256,
      table: 'switchyard-proxy',
      masqueradeBit: 14,
      logLevel: 'info',
      cleanup: false,
    });
  });

  it('takes flags over environment variables', () => {
    const o = parseProxyOptions(
      [
        '--node-name=n2',
        '--kubeconfig',
        '/k',
        '--cluster-cidr=10.244.0.0/16, fd00::/48',
        '--min-sync-period=250ms',
        '--sync-period=2s',
        '--full-sync-period=1m',
        '--health-bind-address=[::1]:0',
        '--nodeport-addresses=192.168.1.2',
        '--cleanup',
      ],
      { NODE_NAME: 'n1', KUBECONFIG: '/env', CLUSTER_CIDR: '10.0.0.0/8', LOG_LEVEL: 'debug' },
    );
    expect(o).toMatchObject({
      nodeName: 'n2',
      kubeconfig: '/k',
      clusterCidrs: ['10.244.0.0/16', 'fd00::/48'],
      nodePortAddresses: ['192.168.1.2'],
      minSyncPeriodMs: 250,
      syncPeriodMs: 2000,
      fullSyncPeriodMs: 60_000,
      healthHost: '::1',
      healthPort: 0,
      logLevel: 'debug',
      cleanup: true,
    });
    expect(parseProxyOptions([], { KUBECONFIG: '/env', CLUSTER_CIDR: '10.0.0.0/8' })).toMatchObject(
      {
        kubeconfig: '/env',
        clusterCidrs: ['10.0.0.0/8'],
      },
    );
  });

  it.each([
    [['--bogus']],
    [['--cluster-cidr=10.0.0.0']],
    [['--cluster-cidr=10.0.0.0/33']],
    [['--nodeport-addresses=eth0']],
    [['--min-sync-period=fast']],
    [['--min-sync-period=5s', '--sync-period=1s']],
    [['--sync-period=1m', '--full-sync-period=30s']],
    [['--health-bind-address=localhost:80']],
    [['--health-bind-address=0.0.0.0:70000']],
    [['--table=bad name']],
    [['--masquerade-bit=32']],
    [['--log-level=loud']],
  ])('rejects %j with a ProxyOptionError', (argv) => {
    expect(() => parseProxyOptions(argv, {})).toThrow(ProxyOptionError);
  });

  it('reads durations in ms, s, m, h and plain seconds', () => {
    expect(['500ms', '1s', '1.5', '2m', '1h'].map((t) => duration('--x', t))).toEqual([
      500, 1000, 1500, 120_000, 3_600_000,
    ]);
    expect(() => duration('--x', '0s')).toThrow(/--x/);
    expect(() => duration('--x', '2d')).toThrow(ProxyOptionError);
  });

  it("throws @switchyard/kube's FlagError, naming the flag (what main turns into exit 2)", () => {
    expect(ProxyOptionError).toBe(FlagError);
    expect(() => parseProxyOptions([], { LOG_LEVEL: 'loud' })).toThrow(
      expect.objectContaining({ flag: '--log-level', name: 'FlagError' }),
    );
  });
});
