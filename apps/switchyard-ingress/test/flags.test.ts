import { FlagError as KubeFlagError } from '@switchyard/kube';
import { describe, expect, it } from 'vitest';
import { FlagError } from '../src/errors.js';
import { parseFlags } from '../src/flags.js';

describe('parseFlags', () => {
  it('defaults to ports 80/443 and takes POD_IP, POD_NAME and POD_NAMESPACE from the env', () => {
    const f = parseFlags([], { POD_IP: '10.0.0.7', POD_NAME: 'sy-1', POD_NAMESPACE: 'ingress' });
    expect(f.httpPort).toBe(80);
    expect(f.httpsPort).toBe(443);
    expect(f.publishAddresses).toEqual(['10.0.0.7']);
    expect(f.identity).toBe('sy-1');
    expect(f.electionNamespace).toBe('ingress');
    expect(f.gatewayController).toBe('switchyard.dev/gateway-controller');
  });

  it('reads both flag spellings; --publish-address wins over POD_IP', () => {
    const f = parseFlags(
      [
        '--http-port=8080',
        '--https-port',
        '8443',
        '--publish-address',
        '192.0.2.1',
        '--secret-resync=5',
      ],
      { POD_IP: '10.0.0.7' },
    );
    expect([f.httpPort, f.httpsPort, f.secretResyncSeconds]).toEqual([8080, 8443, 5]);
    expect(f.publishAddresses).toEqual(['192.0.2.1']);
  });

  it.each([
    [['--http-port', '0']],
    [['--http-port', '70000']],
    [['--https-port']],
    [['--publish-address', 'not-an-ip']],
    [['--gateway-controller', 'no-slash']],
    [['--log-level', 'loud']],
    [['--bogus']],
  ])('rejects %j with a FlagError', (argv) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
  });

  it("throws @switchyard/kube's FlagError, naming the flag (what main turns into exit 2)", () => {
    expect(FlagError).toBe(KubeFlagError);
    expect(() => parseFlags(['--publish-address=eth0'])).toThrow(
      expect.objectContaining({ flag: '--publish-address', name: 'FlagError' }),
    );
  });
});
