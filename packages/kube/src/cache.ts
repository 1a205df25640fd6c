import type { KubernetesObject } from '@kubernetes/client-node';

/** Maps an object to the index values it is found under (e.g. its node name); [] for none. */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** What a full replace changed, so an informer can tell its handlers. */
export interface ReplaceDiff<T> {
  added: T[];
  updated: { old: T; obj: T }[];
  deleted: T[];
}

/** `namespace/name`, or `name` for cluster-scoped objects: the cache's key. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/**
 * An informer's read cache: objects by key, by namespace, and under named indexes kept in step
 * on every change. Reads never copy; callers must treat objects as immutable.
 */
export class ObjectCache<T extends KubernetesObject, I extends string = never> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly indexers: Readonly<Record<I, IndexFunc<T>>> = {} as Record<I, IndexFunc<T>>,
  ) {
    for (const name of Object.keys(indexers)) this.indexes.set(name, new Map());
  }

  get size(): number {
    return this.items.size;
  }

  /** An object by namespace and name (namespace '' or undefined for cluster-scoped). */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Every object, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects whose index function returned `value` under the index `index`. */
  byIndex(index: I, value: string): T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new RangeError(`no index named ${JSON.stringify(index)}`);
    return [...(idx.get(value) ?? [])].map((k) => this.items.get(k)!);
  }

  /** Index values currently in use under `index`. */
  indexValues(index: I): string[] {
    return [...(this.indexes.get(index)?.keys() ?? [])];
  }

  /** Adds or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes by the object's key; returns what was cached (undefined when nothing was). */
  remove(obj: KubernetesObject): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /**
   * Makes the cache hold exactly `objs` (a fresh list) and reports the difference; objects whose
   * resourceVersion did not change count as unchanged.
   */
  replace(objs: readonly T[]): ReplaceDiff<T> {
    const diff: ReplaceDiff<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      if (!old) diff.added.push(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        diff.updated.push({ old, obj });
      } else continue;
      this.upsert(obj);
    }
    for (const [key, old] of this.items) {
      if (seen.has(key)) continue;
      this.unindex(key, old);
      this.items.delete(key);
      diff.deleted.push(old);
    }
    return diff;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers) as [I, IndexFunc<T>][]) {
      const idx = this.indexes.get(name)!;
      for (const value of fn(obj)) {
        let keys = idx.get(value);
        if (!keys) idx.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers) as [I, IndexFunc<T>][]) {
      const idx = this.indexes.get(name)!;
      for (const value of fn(obj)) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }
}
