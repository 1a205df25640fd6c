import { describe, expect, it } from 'vitest';
import { KubeOptionError } from '../src/errors.js';
import { collectionPath, objectPath } from '../src/resource.js';

describe('resource paths', () => {
  it('builds core, grouped, namespaced and cluster-scoped paths', () => {
    expect(collectionPath({ version: 'v1', plural: 'pods' })).toBe('/api/v1/pods');
    expect(collectionPath({ version: 'v1', plural: 'pods', namespace: 'kube-system' })).toBe(
      '/api/v1/namespaces/kube-system/pods',
    );
    expect(
      collectionPath({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' }),
    ).toBe('/apis/discovery.k8s.io/v1/endpointslices');
    expect(objectPath({ version: 'v1', plural: 'services', namespace: 'a' }, 'web', 'status')).toBe(
      '/api/v1/namespaces/a/services/web/status',
    );
    expect(objectPath({ version: 'v1', plural: 'nodes' }, 'node-1')).toBe('/api/v1/nodes/node-1');
  });

  it('refuses segments that could escape their place in the path', () => {
    expect(() => collectionPath({ version: 'v1', plural: 'pods', namespace: '../x' })).toThrow(
      KubeOptionError,
    );
    expect(() => collectionPath({ version: 'v1', plural: 'po/ds' })).toThrow(/plural/);
    expect(() => objectPath({ version: 'v1', plural: 'pods' }, 'a/b')).toThrow(/name/);
    expect(() => objectPath({ version: 'v1', plural: 'pods' }, '')).toThrow(/name/);
    expect(() => objectPath({ version: 'v1', plural: 'pods' }, 'a', 'st?tus')).toThrow(
      /subresource/,
    );
    expect(() => collectionPath({ group: 'Bad_Group', version: 'v1', plural: 'x' })).toThrow(
      /group/,
    );
  });
});
