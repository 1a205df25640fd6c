import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SWITCHYARD_CNI_MANIFEST, switchyardCniManifest } from '../src/switchyard-cni.js';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  rules?: { resources: string[]; verbs: string[] }[];
  spec?: {
    template: {
      spec: {
        hostNetwork: boolean;
        serviceAccountName: string;
        tolerations: { operator: string }[];
        containers: { image: string; command: string[]; args: string[] }[];
      };
    };
  };
}

const docs = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc);

describe('the Switchyard CNI manifest', () => {
  it('carries the testbed cluster CIDR in the ConfigMap and leaves everything else as shipped', () => {
    const shipped = docs(switchyardCniManifest('10.244.0.0/16'));
    const custom = docs(switchyardCniManifest('10.71.0.0/16'));
    expect(custom.map((d) => d.kind)).toEqual([
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'DaemonSet',
    ]);
    const cm = (ds: Doc[]): Doc => ds.find((d) => d.kind === 'ConfigMap')!;
    expect(cm(custom).data!['cluster-cidr']).toBe('10.71.0.0/16');
    expect(cm(shipped).data!['cluster-cidr']).toBe('10.244.0.0/16');
    expect(custom.filter((d) => d.kind !== 'ConfigMap')).toEqual(
      shipped.filter((d) => d.kind !== 'ConfigMap'),
    );
  });

  it('runs the agent on every node of the host network with least-privilege RBAC', () => {
    const all = docs(switchyardCniManifest('10.244.0.0/16', SWITCHYARD_CNI_MANIFEST));
    const ds = all.find((d) => d.kind === 'DaemonSet')!;
    const pod = ds.spec!.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.serviceAccountName).toBe('switchyard-agent');
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
    expect(pod.containers[0]!.command).toEqual(['switchyard-agent']);
    expect(pod.containers[0]!.args).toContain('--node-name=$(NODE_NAME)');
    const role = all.find((d) => d.kind === 'ClusterRole')!;
    const verbs = Object.fromEntries(role.rules!.map((r) => [r.resources[0], r.verbs]));
    expect(verbs).toEqual({
      nodes: ['get', 'list', 'watch', 'patch'],
      pods: ['list', 'watch'],
      events: ['create', 'patch'],
    });
  });
});
