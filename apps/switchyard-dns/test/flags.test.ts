import { FlagError as KubeFlagError } from '@switchyard/kube';
import { describe, expect, it } from 'vitest';
import { FlagError } from '../src/errors.js';
import { parseFlags } from '../src/flags.js';

describe('parseFlags', () => {
  it('defaults to CoreDNS ports and the kube-system/coredns ConfigMap, no overrides', () => {
    expect(parseFlags([])).toEqual({
      host: '0.0.0.0',
      dnsPort: 53,
      healthPort: 8080,
      readyPort: 8181,
      metricsPort: 9153,
      httpHost: '0.0.0.0',
      corefile: { configMap: { namespace: 'kube-system', name: 'coredns' } },
      overrides: {},
      nameserverIps: [],
      logLevel: 'info',
    });
  });

  it('reads every flag, with a space or "=", repeated upstreams accumulating', () => {
    const f = parseFlags([
      '--dns-port=1053',
      '--health-port',
      '0',
      '--configmap',
      'dns/corefile',
      '--zone',
      'Cluster.Test.',
      '--ttl=10',
      '--pods',
      'verified',
      '--upstream',
      '10.0.0.53',
      '--upstream=[fd00::1]:5353',
      '--cache-ttl',
      '0',
      '--no-loadbalance',
      '--nameserver-ip',
      '10.244.0.5',
      '--log-level=debug',
    ]);
    expect(f).toMatchObject({
      dnsPort: 1053,
      healthPort: 0,
      corefile: { configMap: { namespace: 'dns', name: 'corefile' } },
      nameserverIps: ['10.244.0.5'],
      logLevel: 'debug',
      overrides: {
        zone: 'cluster.test',
        ttl: 10,
        podMode: 'verified',
        cacheTtl: 0,
        loadBalance: false,
        forward: {
          upstreams: [
            { host: '10.0.0.53', port: 53 },
            { host: 'fd00::1', port: 5353 },
          ],
        },
      },
    });
    expect(parseFlags(['--corefile', '/x/Corefile']).corefile).toEqual({ file: '/x/Corefile' });
    expect(parseFlags(['--no-corefile']).corefile).toEqual({ none: true });
    expect(parseFlags(['--resolv-conf', '/r']).overrides.forward).toEqual({ resolvConf: '/r' });
  });

  it.each([
    [['--bogus'], '--bogus: unknown flag'],
    [['--dns-port'], '--dns-port: needs a value'],
    [['--dns-port', '70000'], '--dns-port: must be a whole number from 0 to 65535'],
    [['--ttl', '-1'], '--ttl: must be a whole number'],
    [['--pods', 'maybe'], '--pods: must be insecure, verified or disabled'],
    [['--upstream', 'not-an-ip'], '--upstream:'],
    [['--configmap', 'coredns'], '--configmap: expected NAMESPACE/NAME'],
    [['--log-level', 'loud'], '--log-level: must be one of'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it("throws @switchyard/kube's FlagError, naming the flag (what main turns into exit 2)", () => {
    expect(FlagError).toBe(KubeFlagError);
    expect(() => parseFlags(['--ttl=9999'])).toThrow(
      expect.objectContaining({ flag: '--ttl', name: 'FlagError' }),
    );
  });
});
