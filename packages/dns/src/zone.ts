import type {
  EndpointSliceLike,
  NamespaceLike,
  PodLike,
  ServiceEntry,
  ServiceLike,
  SliceEntry,
} from './objects.js';
import { ZoneInputError } from './errors.js';
import { objectKey, podIps, serviceEntry, sliceEntry } from './objects.js';

/** Where a PTR answer for an address comes from. */
export type PtrSource =
  | { kind: 'service'; namespace: string; service: string }
  | { kind: 'endpoint'; namespace: string; service: string; hostname: string; ready: boolean };

/**
 * The in-memory cluster zone: Services, EndpointSlices, Pods and Namespaces, updated one object at
 * a time as informers report them. Every upsert validates first and changes nothing on a
 * ZoneInputError. Lookups are by key or address index, never by scanning every object.
 */
export class Zone {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly slices = new Map<string, SliceEntry>();
  /** "ns/service" -> slice keys of that service. */
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly pods = new Map<string, { namespace: string; ips: string[] }>();
  /** "ns/ip" -> how many known pods in that namespace hold that address. */
  private readonly podIpRefs = new Map<string, number>();
  private readonly namespaces = new Set<string>();
  /** Namespace -> number of Services plus Pods in it (a namespace with objects exists). */
  private readonly namespaceRefs = new Map<string, number>();
  /** Address -> PTR sources, keyed by the object that contributed them. */
  private readonly ptr = new Map<string, Map<string, PtrSource>>();
  private synced = false;
  private changedAt = Math.floor(Date.now() / 1000);
  private changes = 0;

  /** Called by the app once every informer has delivered its initial list. */
  markSynced(): void {
    if (!this.synced) this.changes++;
    this.synced = true;
  }

  /**
   * Counts every change that can alter an answer (objects, namespaces, the synced flag), so
   * anything derived from the zone (the handler's answer cache) knows when to drop it.
   */
  get generation(): number {
    return this.changes;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Seconds since the epoch of the last change; used as the SOA serial. */
  get serial(): number {
    return this.changedAt;
  }

  upsertService(svc: ServiceLike): void {
    const entry = serviceEntry(svc);
    const key = `${entry.namespace}/${entry.name}`;
    this.removeService(key);
    this.services.set(key, entry);
    this.addNamespaceRef(entry.namespace, 1);
    if (entry.kind === 'clusterIP') {
      for (const ip of entry.clusterIPs)
        this.addPtr(ip, `svc/${key}`, {
          kind: 'service',
          namespace: entry.namespace,
          service: entry.name,
        });
    }
    this.touch();
  }

  deleteService(svc: ServiceLike): void {
    const [ns, name] = objectKey('Service', svc.metadata);
    if (this.removeService(`${ns}/${name}`)) this.touch();
  }

  upsertEndpointSlice(slice: EndpointSliceLike): void {
    const [ns, name] = objectKey('EndpointSlice', slice.metadata);
    const entry = sliceEntry(slice);
    const key = `${ns}/${name}`;
    const removed = this.removeSlice(key);
    if (!entry) {
      // Not (or no longer) a Service's slice: forget what it published before.
      if (removed) this.touch();
      return;
    }
    this.slices.set(key, entry);
    const svcKey = `${entry.namespace}/${entry.service}`;
    let set = this.slicesByService.get(svcKey);
    if (!set) this.slicesByService.set(svcKey, (set = new Set()));
    set.add(key);
    for (const ep of entry.endpoints) {
      this.addPtr(ep.ip, `slice/${key}/${ep.hostname}`, {
        kind: 'endpoint',
        namespace: entry.namespace,
        service: entry.service,
        hostname: ep.hostname,
        ready: ep.ready,
      });
    }
    this.touch();
  }

  deleteEndpointSlice(slice: EndpointSliceLike): void {
    const [ns, name] = objectKey('EndpointSlice', slice.metadata);
    if (this.removeSlice(`${ns}/${name}`)) this.touch();
  }

  upsertPod(pod: PodLike): void {
    const [namespace, name] = objectKey('Pod', pod.metadata);
    const ips = podIps(pod);
    const key = `${namespace}/${name}`;
    this.removePod(key);
    this.pods.set(key, { namespace, ips });
    this.addNamespaceRef(namespace, 1);
    for (const ip of ips)
      this.podIpRefs.set(`${namespace}/${ip}`, (this.podIpRefs.get(`${namespace}/${ip}`) ?? 0) + 1);
    this.touch();
  }

  deletePod(pod: PodLike): void {
    const [namespace, name] = objectKey('Pod', pod.metadata);
    if (this.removePod(`${namespace}/${name}`)) this.touch();
  }

  upsertNamespace(ns: NamespaceLike): void {
    if (!ns.metadata?.name) throw new ZoneInputError('Namespace', 'metadata.name', 'missing');
    const name = ns.metadata.name.toLowerCase();
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    this.changes++;
  }

  deleteNamespace(ns: NamespaceLike): void {
    if (!ns.metadata?.name) throw new ZoneInputError('Namespace', 'metadata.name', 'missing');
    if (this.namespaces.delete(ns.metadata.name.toLowerCase())) this.changes++;
  }

  /** A namespace exists if a Namespace object said so, or it holds a Service or Pod we know. */
  hasNamespace(ns: string): boolean {
    return this.namespaces.has(ns) || (this.namespaceRefs.get(ns) ?? 0) > 0;
  }

  service(ns: string, name: string): ServiceEntry | undefined {
    return this.services.get(`${ns}/${name}`);
  }

  /** Slices of a service, in a stable order (by slice name) so answers do not reshuffle. */
  slicesOf(ns: string, service: string): SliceEntry[] {
    const keys = [...(this.slicesByService.get(`${ns}/${service}`) ?? [])].sort();
    return keys.map((k) => this.slices.get(k)).filter((s) => s !== undefined);
  }

  hasPodIp(ns: string, ip: string): boolean {
    return (this.podIpRefs.get(`${ns}/${ip}`) ?? 0) > 0;
  }

  /**
   * PTR sources for an address: a Service ClusterIP wins over endpoints, as in CoreDNS; an
   * endpoint counts only while ready (or its Service publishes not-ready addresses) and its
   * Service exists, so every PTR target also resolves forwards.
   */
  ptrSources(ip: string): PtrSource[] {
    const all = [...(this.ptr.get(ip)?.values() ?? [])];
    const service = all.find((s) => s.kind === 'service');
    if (service) return [service];
    return all.filter((s) => {
      const svc = this.service(s.namespace, s.service);
      if (!svc || svc.kind === 'externalName') return false;
      return s.kind === 'endpoint' && (s.ready || svc.publishNotReadyAddresses);
    });
  }

  private removeService(key: string): boolean {
    const old = this.services.get(key);
    if (!old) return false;
    this.services.delete(key);
    this.addNamespaceRef(old.namespace, -1);
    if (old.kind === 'clusterIP') for (const ip of old.clusterIPs) this.dropPtr(ip, `svc/${key}`);
    return true;
  }

  private removeSlice(key: string): boolean {
    const old = this.slices.get(key);
    if (!old) return false;
    this.slices.delete(key);
    const svcKey = `${old.namespace}/${old.service}`;
    const set = this.slicesByService.get(svcKey);
    set?.delete(key);
    if (set?.size === 0) this.slicesByService.delete(svcKey);
    for (const ep of old.endpoints) this.dropPtr(ep.ip, `slice/${key}/${ep.hostname}`);
    return true;
  }

  private removePod(key: string): boolean {
    const old = this.pods.get(key);
    if (!old) return false;
    this.pods.delete(key);
    this.addNamespaceRef(old.namespace, -1);
    for (const ip of old.ips) {
      const k = `${old.namespace}/${ip}`;
      const n = (this.podIpRefs.get(k) ?? 1) - 1;
      if (n > 0) this.podIpRefs.set(k, n);
      else this.podIpRefs.delete(k);
    }
    return true;
  }

  private addNamespaceRef(ns: string, delta: number): void {
    const n = (this.namespaceRefs.get(ns) ?? 0) + delta;
    if (n > 0) this.namespaceRefs.set(ns, n);
    else this.namespaceRefs.delete(ns);
  }

  private addPtr(ip: string, source: string, ptr: PtrSource): void {
    let m = this.ptr.get(ip);
    if (!m) this.ptr.set(ip, (m = new Map()));
    m.set(source, ptr);
  }

  private dropPtr(ip: string, source: string): void {
    const m = this.ptr.get(ip);
    m?.delete(source);
    if (m?.size === 0) this.ptr.delete(ip);
  }

  private touch(): void {
    this.changes++;
    // Serials must grow even when two changes land in the same second.
    this.changedAt = Math.max(this.changedAt + 1, Math.floor(Date.now() / 1000));
  }
}
