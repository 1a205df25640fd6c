import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ObjectCache, objectKey } from '../src/cache.js';

function pod(namespace: string, name: string, node: string, rv = '1'): V1Pod {
  return {
    metadata: { namespace, name, resourceVersion: rv },
    spec: { nodeName: node, containers: [] },
  };
}

const byNode = (p: V1Pod): string[] => (p.spec?.nodeName ? [p.spec.nodeName] : []);

describe('ObjectCache', () => {
  it('keys objects by namespace/name, or name when cluster-scoped', () => {
    expect(objectKey(pod('ns', 'a', 'n1'))).toBe('ns/a');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
  });

  it('gets, lists per namespace and indexes by node', () => {
    const c = new ObjectCache<V1Pod, 'node'>({ node: byNode });
    c.upsert(pod('a', 'p1', 'n1'));
    c.upsert(pod('a', 'p2', 'n2'));
    c.upsert(pod('b', 'p1', 'n1'));
    expect(c.size).toBe(3);
    expect(c.get('a', 'p2')?.spec?.nodeName).toBe('n2');
    expect(c.get('c', 'p1')).toBeUndefined();
    expect(c.list('a').map(objectKey).sort()).toEqual(['a/p1', 'a/p2']);
    expect(c.byIndex('node', 'n1').map(objectKey).sort()).toEqual(['a/p1', 'b/p1']);
    expect(c.indexValues('node').sort()).toEqual(['n1', 'n2']);
  });

  it('moves an object between index values when it changes, and drops empty values', () => {
    const c = new ObjectCache<V1Pod, 'node'>({ node: byNode });
    c.upsert(pod('a', 'p1', 'n1'));
    const old = c.upsert(pod('a', 'p1', 'n2', '2'));
    expect(old?.spec?.nodeName).toBe('n1');
    expect(c.byIndex('node', 'n1')).toEqual([]);
    expect(c.byIndex('node', 'n2').map(objectKey)).toEqual(['a/p1']);
    expect(c.indexValues('node')).toEqual(['n2']);
    expect(c.remove(pod('a', 'p1', 'whatever'))?.spec?.nodeName).toBe('n2');
    expect(c.indexValues('node')).toEqual([]);
    expect(c.remove(pod('a', 'p1', 'n2'))).toBeUndefined();
  });

  it('replace() makes the cache equal the list and reports added, updated and deleted', () => {
    const c = new ObjectCache<V1Pod, 'node'>({ node: byNode });
    c.upsert(pod('a', 'same', 'n1', '5'));
    c.upsert(pod('a', 'changed', 'n1', '5'));
    c.upsert(pod('a', 'gone', 'n1', '5'));
    const diff = c.replace([
      pod('a', 'same', 'n1', '5'),
      pod('a', 'changed', 'n2', '6'),
      pod('a', 'new', 'n3', '7'),
    ]);
    expect(diff.added.map(objectKey)).toEqual(['a/new']);
    expect(
      diff.updated.map((u) => [
        objectKey(u.obj),
        u.old.metadata?.resourceVersion,
        u.obj.metadata?.resourceVersion,
      ]),
    ).toEqual([['a/changed', '5', '6']]);
    expect(diff.deleted.map(objectKey)).toEqual(['a/gone']);
    expect(c.keys().sort()).toEqual(['a/changed', 'a/new', 'a/same']);
    expect(c.byIndex('node', 'n1').map(objectKey)).toEqual(['a/same']);
    expect(c.indexValues('node').sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('throws RangeError for an index it does not have', () => {
    const c = new ObjectCache<V1Pod, 'node'>({ node: byNode });
    expect(() => c.byIndex('zone' as 'node', 'x')).toThrow(RangeError);
  });
});
