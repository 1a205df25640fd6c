import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  ContainerEnvError,
  configMapNames,
  containerEnv,
  expandVars,
} from '../src/node-runtime/container-env.js';

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'node-2', serviceAccountName: 'web', containers: [] },
};
const ctx = {
  podIP: '10.244.1.5',
  hostIP: '172.31.255.3',
  kubeconfig: '/state/pods/u-1/kubeconfig',
  apiserverHost: '172.31.255.1',
  apiserverPort: 6443,
};

describe('container environment', () => {
  it('starts clean with HOSTNAME, the in-cluster API address and KUBECONFIG', () => {
    const env = containerEnv(pod, { name: 'c' }, ctx);
    expect(env).toEqual({
      PATH: expect.stringContaining('/usr/bin'),
      HOME: '/root',
      HOSTNAME: 'web-1',
      KUBERNETES_SERVICE_HOST: '172.31.255.1',
      KUBERNETES_SERVICE_PORT: '6443',
      KUBERNETES_SERVICE_PORT_HTTPS: '6443',
      KUBECONFIG: '/state/pods/u-1/kubeconfig',
    });
  });

  it('resolves downward-API fieldRefs and expands $(VAR) of earlier variables', () => {
    const env = containerEnv(
      pod,
      {
        name: 'c',
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'URL', value: 'http://$(IP):80/$(POD)/$(MISSING)/$$(POD)' },
        ],
      },
      ctx,
    );
    expect(env).toMatchObject({ POD: 'web-1', IP: '10.244.1.5', NODE: 'node-2', APP: 'web' });
    expect(env.URL).toBe('http://10.244.1.5:80/web-1/$(MISSING)/$(POD)');
  });

  it('a hostNetwork pod is named after its node', () => {
    const env = containerEnv(
      { ...pod, spec: { ...pod.spec!, hostNetwork: true } },
      { name: 'c' },
      ctx,
    );
    expect(env.HOSTNAME).toBe('node-2');
  });

  it('refuses env sources it cannot provide', () => {
    expect(() =>
      containerEnv(
        pod,
        { name: 'c', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        ctx,
      ),
    ).toThrow(ContainerEnvError);
    expect(() =>
      containerEnv(
        pod,
        { name: 'c', env: [{ name: 'S', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] },
        ctx,
      ),
    ).toThrow(/spec\.bogus/);
  });

  it('takes values from ConfigMap keys and lets the pod env override the image env', () => {
    const spec = {
      name: 'agent',
      env: [
        { name: 'CIDR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'cluster-cidr' } } },
        {
          name: 'OPT',
          valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent', optional: true } },
        },
        { name: 'HOME_OVERRIDE', value: '$(SWITCHYARD_HOME)/bin' },
        { name: 'SWITCHYARD_HOME', value: '/pod' },
      ],
    };
    const env = containerEnv({ ...pod, spec: { containers: [spec] } }, spec, {
      ...ctx,
      imageEnv: { SWITCHYARD_HOME: '/image' },
      configMaps: new Map([['cfg', { 'cluster-cidr': '10.244.0.0/16' }]]),
    });
    expect(env.CIDR).toBe('10.244.0.0/16');
    expect(env).not.toHaveProperty('OPT');
    expect(env.HOME_OVERRIDE).toBe('/image/bin');
    expect(env.SWITCHYARD_HOME).toBe('/pod');
    expect(configMapNames({ spec: { containers: [spec, spec] } })).toEqual(['cfg']);
    // A missing ConfigMap (or key) that is not optional stops the container, naming the key.
    expect(() => containerEnv(pod, spec, ctx)).toThrow(/configmap cfg has no key cluster-cidr/);
  });

  it('expands $(VAR) in command arguments, as kubelet does', () => {
    const env = { DIR: '/state/nodes/node-1' };
    expect(expandVars('--cni-conf-dir=$(DIR)/net.d', env)).toBe(
      '--cni-conf-dir=/state/nodes/node-1/net.d',
    );
    expect(expandVars('$(NOPE) $$(DIR) $$', env)).toBe('$(NOPE) $(DIR) $');
  });
});
