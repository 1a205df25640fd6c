import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs } from '../src/args.js';

describe('switchyard command line', () => {
  it('parses up with its flags in both spellings', () => {
    expect(parseArgs(['testbed', 'up'])).toEqual({ kind: 'up' });
    expect(
      parseArgs([
        'testbed',
        'up',
        '--nodes',
        '3',
        '--name=demo',
        '--underlay',
        '10.1.0.0/24',
        '--cni=external',
      ]),
    ).toEqual({
      kind: 'up',
      nodes: 3,
      name: 'demo',
      underlay: '10.1.0.0/24',
      cni: 'external',
    });
  });

  it('takes --components as a comma-separated subset or none', () => {
    expect(parseArgs(['testbed', 'up', '--components', 'dns,proxy'])).toEqual({
      kind: 'up',
      components: ['dns', 'proxy'],
    });
    expect(parseArgs(['testbed', 'up', '--components=none'])).toEqual({
      kind: 'up',
      components: [],
    });
  });

  it('accepts every testbed CNI mode for --cni', () => {
    for (const cni of ['switchyard', 'reference-bridge', 'external']) {
      expect(parseArgs(['testbed', 'up', '--cni', cni])).toEqual({ kind: 'up', cni });
    }
  });

  it('parses down, status and kubectl (whose arguments pass through untouched)', () => {
    expect(parseArgs(['testbed', 'down', '--name', 'x'])).toEqual({ kind: 'down', name: 'x' });
    expect(parseArgs(['testbed', 'status', '--json'])).toEqual({ kind: 'status', json: true });
    expect(
      parseArgs(['testbed', 'kubectl', 'get', 'pods', '-n', 'kube-system', '--name', 'x']),
    ).toEqual({
      kind: 'kubectl',
      args: ['get', 'pods', '-n', 'kube-system', '--name', 'x'],
    });
  });

  it('parses exec for pods (default namespace, -n, pod/ prefix) and nodes', () => {
    expect(parseArgs(['testbed', 'exec', 'web', '--', 'curl', '-s', 'x'])).toEqual({
      kind: 'exec',
      target: { namespace: 'default', pod: 'web' },
      command: ['curl', '-s', 'x'],
    });
    expect(
      parseArgs(['testbed', 'exec', '-n', 'shop', 'pod/web', '--', 'ip', 'addr']),
    ).toMatchObject({
      target: { namespace: 'shop', pod: 'web' },
    });
    expect(parseArgs(['testbed', 'exec', 'node/node-2', '--', 'ip', '-n', 'x'])).toEqual({
      kind: 'exec',
      target: { node: 'node-2' },
      command: ['ip', '-n', 'x'],
    });
  });

  it('parses logs with namespace and container', () => {
    expect(parseArgs(['testbed', 'logs', 'web'])).toEqual({
      kind: 'logs',
      namespace: 'default',
      pod: 'web',
    });
    expect(parseArgs(['testbed', 'logs', '-n', 'kube-system', 'pod/dns', '-c', 'dns'])).toEqual({
      kind: 'logs',
      namespace: 'kube-system',
      pod: 'dns',
      container: 'dns',
    });
  });

  it('parses demo', () => {
    expect(parseArgs(['demo'])).toEqual({ kind: 'demo' });
  });

  it('parses explain service against a testbed or any cluster', () => {
    expect(parseArgs(['explain', 'service', 'web'])).toEqual({
      kind: 'explain-service',
      namespace: 'default',
      service: 'web',
      from: 'pod',
    });
    expect(
      parseArgs([
        'explain',
        'service',
        'kube-system/kube-dns',
        '--kubeconfig',
        '/tmp/kc',
        '--from',
        'node',
      ]),
    ).toEqual({
      kind: 'explain-service',
      namespace: 'kube-system',
      service: 'kube-dns',
      from: 'node',
      kubeconfig: '/tmp/kc',
    });
    expect(
      parseArgs(['explain', 'service', 'kube-system/kube-dns', '--node=node-2', '--from', 'node']),
    ).toEqual({
      kind: 'explain-service',
      namespace: 'kube-system',
      service: 'kube-dns',
      node: 'node-2',
      from: 'node',
    });
    expect(() => parseArgs(['explain', 'pod', 'x'])).toThrow(UsageError);
    expect(() => parseArgs(['explain', 'service', 'web', '--from', 'mars'])).toThrow(UsageError);
  });

  it('help for no arguments', () => {
    expect(parseArgs([])).toEqual({ kind: 'help' });
    expect(parseArgs(['testbed'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['deploy']],
    [['demo', 'now']],
    [['testbed', 'launch']],
    [['testbed', 'up', '--nodes', 'three']],
    [['testbed', 'up', '--nodes']],
    [['testbed', 'up', '--cni', 'flannel']],
    [['testbed', 'up', '--components', 'dns,coredns']],
    [['testbed', 'up', '--components', '']],
    [['testbed', 'up', 'extra']],
    [['testbed', 'down', '--json']],
    [['testbed', 'exec', 'web', 'ls']],
    [['testbed', 'exec', 'web', '--']],
    [['testbed', 'exec', '--', 'ls']],
    [['testbed', 'exec', 'a', 'b', '--', 'ls']],
    [['testbed', 'exec', '-x', 'a', '--', 'ls']],
    [['testbed', 'exec', 'node/', '--', 'ls']],
    [['testbed', 'logs']],
    [['testbed', 'logs', 'a', 'b']],
    [['testbed', 'logs', 'a', '-c']],
    [['testbed', 'logs', '-f', 'a']],
    [['explain', 'service', 'web', '--name', 'main', '--kubeconfig', '/tmp/kc']],
    [['explain', 'service', 'web', '--from', 'mars']],
    [['explain', 'service', '--node', 'n1']],
  ])('rejects %j with a UsageError', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });
});
