import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../src/corefile.js';
import { KUBEADM_DEFAULTS, corefileConfig } from '../src/dns-config.js';
import { CorefileError } from '../src/errors.js';

/** kubeadm's (and so kind's) default Corefile, byte for byte as the ConfigMap holds it. */
const KIND_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`;

/** The root block around `body`, for the error cases. */
const block = (body: string): string => `.:53 {\n${body}\n}\n`;

function errorOf(text: string): CorefileError {
  try {
    corefileConfig(text);
  } catch (e) {
    if (e instanceof CorefileError) return e;
    throw e;
  }
  throw new Error('no CorefileError');
}

describe('parseCorefile', () => {
  it('reads server blocks, directives, arguments, nested blocks and their lines', () => {
    const blocks = parseCorefile(
      '# comment\nexample.org:1053, .:53 {\n  hosts {\n    10.0.0.1 "a b" # x\n  }\n  log\n}\n',
    );
    expect(blocks).toEqual([
      {
        keys: ['example.org:1053', '.:53'],
        line: 2,
        directives: [
          {
            name: 'hosts',
            args: [],
            line: 3,
            block: [{ name: '10.0.0.1', args: ['a b'], line: 4 }],
          },
          { name: 'log', args: [], line: 6 },
        ],
      },
    ]);
  });

  it('rejects broken structure with the line of the problem', () => {
    expect(() => parseCorefile('.:53 {\n  log\n')).toThrow('Corefile line 1: missing "}"');
    expect(() => parseCorefile('}\n')).toThrow('Corefile line 1: unexpected "}"');
    expect(() => parseCorefile('.:53 {\n forward . "8.8.8.8\n}')).toThrow(
      'Corefile line 2: unterminated quoted string',
    );
    expect(() => parseCorefile('.:53\n')).toThrow('has no "{"');
    expect(() => parseCorefile('# only a comment\n')).toThrow('no server block');
  });
});

describe('corefileConfig', () => {
  it("reads kind's default Corefile as kubeadm's settings, ignoring nothing that matters", () => {
    const { config, ignoredPlugins, ignoredOptions } = corefileConfig(KIND_COREFILE);
    expect(config).toEqual(KUBEADM_DEFAULTS);
    expect(ignoredPlugins).toEqual([]);
    expect(ignoredOptions).toEqual([]);
  });

  it('takes explicit upstreams, other TTLs and pod modes, and lists plugins it does not run', () => {
    const { config, ignoredPlugins, ignoredOptions } = corefileConfig(
      block(`kubernetes Example.Test. {\n pods verified\n ttl 7\n kubeconfig /x\n}
forward . 10.0.0.53 dns://10.0.0.54:5353 [fd00::53]:53 {\n policy sequential\n}
cache {\n disable success example.org\n}\nhosts /etc/hosts\nrewrite name a b\nlog`),
    );
    expect(config).toEqual({
      zone: 'example.test',
      reverseZones: [],
      podMode: 'verified',
      ttl: 7,
      forward: {
        upstreams: [
          { host: '10.0.0.53', port: 53 },
          { host: '10.0.0.54', port: 5353 },
          { host: 'fd00::53', port: 53 },
        ],
      },
      cacheTtl: 3600,
      loadBalance: false,
      lameduckMs: 0,
    });
    expect(ignoredPlugins).toEqual(['hosts', 'rewrite', 'log']);
    expect(ignoredOptions).toEqual(['kubernetes kubeconfig', 'forward policy', 'cache disable']);
  });

  it('without a pods line, forward or cache: pods disabled, nothing forwarded, nothing cached', () => {
    const { config } = corefileConfig(block('kubernetes cluster.local'));
    expect(config).toMatchObject({ podMode: 'disabled', ttl: 5, cacheTtl: 0, lameduckMs: 0 });
    expect(config.forward).toBeUndefined();
  });

  it('reads health lameduck durations', () => {
    for (const [text, ms] of [
      ['5s', 5000],
      ['500ms', 500],
      ['1m30s', 90000],
      ['1.5s', 1500],
    ] as const) {
      const { config } = corefileConfig(
        block(`kubernetes cluster.local\nhealth :8080 {\n lameduck ${text}\n}`),
      );
      expect([text, config.lameduckMs]).toEqual([text, ms]);
    }
  });

  it('uses the root block and lists other server blocks as ignored', () => {
    const text = `example.org {\n whoami\n}\n.:53 {\n kubernetes cluster.local\n cache 10 .\n}\n`;
    const { config, ignoredPlugins } = corefileConfig(text);
    expect(config.cacheTtl).toBe(10);
    expect(ignoredPlugins).toEqual(['server block example.org (line 1)']);
  });

  it.each([
    ['no kubernetes plugin', block('forward . /etc/resolv.conf'), 'line 1: no kubernetes plugin'],
    [
      'two cluster zones',
      block('kubernetes a.local b.local'),
      'line 2: kubernetes needs exactly one cluster zone (got a.local, b.local)',
    ],
    [
      'a bad pods mode',
      block('kubernetes cluster.local {\n pods sometimes\n}'),
      'line 3: pods must be insecure, verified or disabled, got sometimes',
    ],
    [
      'a ttl over 3600',
      block('kubernetes cluster.local {\n ttl 3601\n}'),
      'line 3: ttl must be at most 3600 seconds',
    ],
    [
      'a ttl that is not a number',
      block('kubernetes cluster.local {\n ttl 5s\n}'),
      'line 3: ttl must be a whole number, got 5s',
    ],
    [
      'fallthrough for the cluster zone',
      block('kubernetes cluster.local {\n fallthrough\n}'),
      'line 3: fallthrough is supported for reverse zones only, not every zone',
    ],
    [
      'an unsupported kubernetes option',
      block('kubernetes cluster.local {\n namespaces default\n}'),
      'line 3: kubernetes option namespaces is not supported',
    ],
    [
      'forward of a sub-zone',
      block('kubernetes cluster.local\nforward example.org 1.1.1.1'),
      'line 3: forward only of "." is supported, got example.org',
    ],
    [
      'forward over TLS',
      block('kubernetes cluster.local\nforward . tls://1.1.1.1'),
      'only plain DNS upstreams',
    ],
    [
      'a bad upstream',
      block('kubernetes cluster.local\nforward . 1.1.1.999'),
      'line 3: forward to 1.1.1.999',
    ],
    [
      'a resolv.conf among addresses',
      block('kubernetes cluster.local\nforward . 1.1.1.1 /etc/resolv.conf'),
      'must be the only destination',
    ],
    [
      'an unknown forward option',
      block('kubernetes cluster.local\nforward . 1.1.1.1 {\n tls_servername x\n}'),
      'line 4: forward option tls_servername is not supported',
    ],
    [
      'a cache for some zones',
      block('kubernetes cluster.local\ncache 30 example.org'),
      'cache for zones example.org is not supported',
    ],
    [
      'a plugin twice',
      block('kubernetes cluster.local\ncache\ncache 5'),
      'line 4: plugin cache appears twice',
    ],
    [
      'an unknown health option',
      block('kubernetes cluster.local\nhealth {\n ping 1\n}'),
      'line 4: health option ping is not supported',
    ],
    [
      'a bad lameduck',
      block('kubernetes cluster.local\nhealth {\n lameduck 5\n}'),
      'line 4: lameduck must be a duration like 5s or 500ms, got 5',
    ],
    [
      'no root server block',
      'example.org {\n kubernetes cluster.local\n}',
      'no server block for the root zone',
    ],
  ])('rejects %s', (_what, text, message) => {
    expect(errorOf(text).message).toContain(message);
  });
});
