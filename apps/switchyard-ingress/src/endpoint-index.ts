import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Endpoint, EndpointResolver, ServiceRef } from '@switchyard/ingress';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const NONE: readonly Endpoint[] = Object.freeze([]);

/**
 * Ready endpoints per Service port from Services and EndpointSlices. A ServiceRef names the
 * Service port by number or (Ingress) by name; the slice port with the same name gives the target
 * port, so named target ports resolve per pod as kube-proxy does.
 *
 * The proxy resolves on every request while Services and slices change rarely, so each resolved
 * list is kept (frozen) until its Service or one of its slices is set or deleted.
 */
export class EndpointIndex {
  private services = new Map<string, V1Service>();
  /** `ns/service` -> its slices by slice name. */
  private slices = new Map<string, Map<string, V1EndpointSlice>>();
  /** `ns/service` -> Service port (number or name, as referenced) -> resolved endpoints. */
  private resolved = new Map<string, Map<number | string, readonly Endpoint[]>>();

  setService(s: V1Service): void {
    const k = `${s.metadata?.namespace}/${s.metadata?.name}`;
    this.services.set(k, s);
    this.resolved.delete(k);
  }

  deleteService(s: V1Service): void {
    const k = `${s.metadata?.namespace}/${s.metadata?.name}`;
    this.services.delete(k);
    this.resolved.delete(k);
  }

  setSlice(slice: V1EndpointSlice): void {
    const k = sliceServiceKey(slice);
    if (k === undefined) return;
    let m = this.slices.get(k);
    if (!m) this.slices.set(k, (m = new Map()));
    m.set(slice.metadata?.name ?? '', slice);
    this.resolved.delete(k);
  }

  deleteSlice(slice: V1EndpointSlice): void {
    const k = sliceServiceKey(slice);
    if (k === undefined) return;
    const m = this.slices.get(k);
    m?.delete(slice.metadata?.name ?? '');
    if (m?.size === 0) this.slices.delete(k);
    this.resolved.delete(k);
  }

  serviceExists = (ref: ServiceRef): boolean => this.services.has(`${ref.namespace}/${ref.name}`);

  /**
   * For the proxy: ready endpoints (conditions.ready not false) of the referenced port. The
   * list is frozen and stays the same object until the Service or its slices change.
   */
  readonly resolve: EndpointResolver = (ref: ServiceRef): readonly Endpoint[] => {
    const k = `${ref.namespace}/${ref.name}`;
    let ports = this.resolved.get(k);
    const hit = ports?.get(ref.port);
    if (hit) return hit;
    const out = this.compute(k, ref.port);
    if (!ports) this.resolved.set(k, (ports = new Map()));
    ports.set(ref.port, out);
    return out;
  };

  private compute(k: string, ref: number | string): readonly Endpoint[] {
    const svc = this.services.get(k);
    const port = svc?.spec?.ports?.find((p) =>
      typeof ref === 'number' ? p.port === ref : p.name === ref,
    );
    if (!port) return NONE;
    const portName = port.name ?? '';
    const out: Endpoint[] = [];
    for (const slice of this.slices.get(k)?.values() ?? []) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      const target = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
      if (target === undefined || target === null) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        const address = e.addresses[0];
        if (address !== undefined) out.push(Object.freeze({ address, port: target }));
      }
    }
    return out.length === 0 ? NONE : Object.freeze(out);
  }
}

function sliceServiceKey(slice: V1EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${slice.metadata?.namespace}/${svc}` : undefined;
}
