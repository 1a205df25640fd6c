import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Endpoint, EndpointResolver, ServiceRef } from '@switchyard/ingress';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Ready endpoints per Service port from Services and EndpointSlices. A ServiceRef names the
 * Service port by number or (Ingress) by name; the slice port with the same name gives the target
 * port, so named target ports resolve per pod as kube-proxy does.
 */
export class EndpointIndex {
  private services = new Map<string, V1Service>();
  /** `ns/service` -> its slices by slice name. */
  private slices = new Map<string, Map<string, V1EndpointSlice>>();

  setService(s: V1Service): void {
    this.services.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
  }

  deleteService(s: V1Service): void {
    this.services.delete(`${s.metadata?.namespace}/${s.metadata?.name}`);
  }

  setSlice(slice: V1EndpointSlice): void {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return;
    const k = `${slice.metadata?.namespace}/${svc}`;
    let m = this.slices.get(k);
    if (!m) this.slices.set(k, (m = new Map()));
    m.set(slice.metadata?.name ?? '', slice);
  }

  deleteSlice(slice: V1EndpointSlice): void {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return;
    const k = `${slice.metadata?.namespace}/${svc}`;
    const m = this.slices.get(k);
    m?.delete(slice.metadata?.name ?? '');
    if (m?.size === 0) this.slices.delete(k);
  }

  serviceExists = (ref: ServiceRef): boolean => this.services.has(`${ref.namespace}/${ref.name}`);

  /** For the proxy: ready endpoints (conditions.ready not false) of the referenced port. */
  readonly resolve: EndpointResolver = (ref: ServiceRef): readonly Endpoint[] => {
    const k = `${ref.namespace}/${ref.name}`;
    const svc = this.services.get(k);
    const port = svc?.spec?.ports?.find((p) =>
      typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port,
    );
    if (!port) return [];
    const portName = port.name ?? '';
    const out: Endpoint[] = [];
    for (const slice of this.slices.get(k)?.values() ?? []) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      const target = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
      if (target === undefined || target === null) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        for (const address of e.addresses.slice(0, 1)) out.push({ address, port: target });
      }
    }
    return out;
  };
}
