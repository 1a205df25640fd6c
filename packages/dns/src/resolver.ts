import { RCode, RRClass, RRType } from './constants.js';
import { canonicalIp, ipFamily } from './ip.js';
import type { Question, ResourceRecord } from './message.js';
import { canonicalName, dashedLabelToIp, isSubdomain, reverseNameToIp } from './names.js';
import type { EndpointEntry, PortEntry, ServiceEntry } from './objects.js';
import {
  normalizeResolverOptions,
  type PodMode,
  type ResolverOptions,
} from './resolver-options.js';
import type { Zone } from './zone.js';

export type { PodMode, ResolverOptions } from './resolver-options.js';

/** An authoritative answer from the cluster zone. */
export interface Resolution {
  rcode: number;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /** Set when an ExternalName points outside the zone: resolve this upstream and append it. */
  chase?: Question;
}

/** The schema version this resolver implements (kubernetes/dns docs/specification.md). */
export const SCHEMA_VERSION = '1.1.0';
/** CoreDNS serves the dns-version TXT with this TTL whatever its configured ttl. */
const VERSION_TTL = 28800;
/** ExternalNames may point at each other; stop following after this many hops. */
const MAX_CHASE = 8;

/**
 * Answers questions from a Zone per the Kubernetes DNS specification and CoreDNS's kubernetes
 * plugin. `resolve` returns undefined for names that are not ours (outside the zone, or reverse
 * names of addresses we do not know), which the caller forwards upstream.
 */
export class Resolver {
  readonly zoneName: string;
  readonly ttl: number;
  readonly podMode: PodMode;
  readonly reverseZones: string[];
  private readonly nameserverIps: string[];

  constructor(
    private readonly zone: Zone,
    options: ResolverOptions = {},
  ) {
    const o = normalizeResolverOptions(options);
    this.zoneName = o.zone;
    this.ttl = o.ttl;
    this.podMode = o.podMode;
    this.reverseZones = o.reverseZones;
    this.nameserverIps = o.nameserverIps;
  }

  /** The zone's generation: answers computed at one generation hold until it changes. */
  get generation(): number {
    return this.zone.generation;
  }

  /** True when `name` is one this resolver is authoritative for (cluster or reverse zones). */
  owns(name: string): boolean {
    const n = canonicalName(name);
    return isSubdomain(n, this.zoneName) || this.reverseZones.some((z) => isSubdomain(n, z));
  }

  resolve(q: Question): Resolution | undefined {
    return this.resolveDepth(q, 0);
  }

  private resolveDepth(q: Question, depth: number): Resolution | undefined {
    const qname = canonicalName(q.name);
    const owner = q.name.endsWith('.') ? q.name.slice(0, -1) : q.name;
    if (isSubdomain(qname, this.zoneName)) {
      if (!this.zone.isSynced) return this.fail(RCode.SERVFAIL);
      if (q.type === RRType.AXFR || q.type === RRType.IXFR) return this.fail(RCode.REFUSED);
      // The cluster zone exists only in class IN.
      if (q.class !== RRClass.IN && q.class !== RRClass.ANY) return this.fail(RCode.REFUSED);
      const rel =
        qname === this.zoneName ? [] : qname.slice(0, -this.zoneName.length - 1).split('.');
      return this.cluster({ ...q, name: owner }, rel, depth);
    }
    const apex = this.reverseZones.find((z) => isSubdomain(qname, z));
    if (apex === undefined) return undefined;
    if (!this.zone.isSynced) return this.fail(RCode.SERVFAIL);
    return this.reverse({ ...q, name: owner }, qname, apex);
  }

  private cluster(q: Question, rel: string[], depth: number): Resolution {
    const last = rel[rel.length - 1];
    if (last === undefined) return this.apex(q);
    if (rel.length === 1 && last === 'dns-version') {
      if (q.type !== RRType.TXT) return this.nodata();
      const txt: ResourceRecord = {
        name: q.name,
        type: RRType.TXT,
        class: RRClass.IN,
        ttl: VERSION_TTL,
        texts: [Buffer.from(SCHEMA_VERSION)],
      };
      return this.answer([txt]);
    }
    if (last === 'dns') {
      if (rel.length === 1) return this.nodata();
      if (rel.length === 2 && rel[0] === 'ns') return this.addresses(q, this.nameserverIps);
      return this.nxdomain();
    }
    if (last === 'svc') return this.services(q, rel.slice(0, -1), depth);
    if (last === 'pod') return this.pod(q, rel.slice(0, -1));
    return this.nxdomain();
  }

  private apex(q: Question): Resolution {
    if (q.type === RRType.SOA) return this.answer([this.soa(this.zoneName)]);
    if (q.type !== RRType.NS) return this.nodata();
    const target = `ns.dns.${this.zoneName}`;
    const ns: ResourceRecord = {
      name: q.name,
      type: RRType.NS,
      class: RRClass.IN,
      ttl: this.ttl,
      target,
    };
    const extra = this.addressRecords(target, this.nameserverIps, RRType.ANY);
    return this.answer([ns], extra);
  }

  /** Labels below `svc.<zone>`, leftmost first. */
  private services(q: Question, labels: string[], depth: number): Resolution {
    const [a, b, c, d] = labels;
    switch (labels.length) {
      case 0:
        return this.nodata();
      case 1:
        return this.zone.hasNamespace(a as string) ? this.nodata() : this.nxdomain();
      case 2:
        return this.service(q, b as string, a as string, depth);
      case 3:
        return (a as string).startsWith('_') ? this.nxdomain() : this.endpoint(q, c!, b!, a!);
      case 4:
        if (a!.startsWith('_') && b!.startsWith('_') && a!.length > 1 && b!.length > 1)
          return this.namedPort(q, d!, c!, a!.slice(1), b!.slice(1));
        return this.nxdomain();
      default:
        return this.nxdomain();
    }
  }

  private service(q: Question, ns: string, name: string, depth: number): Resolution {
    const svc = this.zone.service(ns, name);
    if (!svc) return this.nxdomain();
    const fqdn = `${svc.name}.${svc.namespace}.svc.${this.zoneName}`;
    if (svc.kind === 'externalName') return this.externalName(q, svc.externalName, depth);
    if (svc.kind === 'clusterIP') {
      if (q.type !== RRType.SRV) return this.addresses(q, svc.clusterIPs);
      return this.srv(
        q,
        svc.ports.map((p) => ({ port: p.port, target: fqdn, ips: svc.clusterIPs })),
      );
    }
    const eps = this.readyEndpoints(svc);
    if (eps.length === 0) return this.nxdomain();
    if (q.type !== RRType.SRV)
      return this.addresses(
        q,
        eps.map((e) => e.ep.ip),
      );
    return this.srv(
      q,
      this.endpointTargets(svc, eps, () => true),
    );
  }

  private externalName(q: Question, target: string, depth: number): Resolution {
    // An address is not a name to alias; CoreDNS publishes nothing for it either.
    if (canonicalIp(target)) return this.nxdomain();
    const cname: ResourceRecord = {
      name: q.name,
      type: RRType.CNAME,
      class: RRClass.IN,
      ttl: this.ttl,
      target,
    };
    const res = this.answer([cname]);
    if (q.type === RRType.CNAME) return res;
    const next: Question = { name: target, type: q.type, class: q.class };
    if (!isSubdomain(target, this.zoneName)) return { ...res, chase: next };
    if (depth >= MAX_CHASE) return res;
    const inner = this.resolveDepth(next, depth + 1);
    if (inner) {
      res.answers.push(...inner.answers);
      res.additionals.push(...inner.additionals);
      if (inner.chase) res.chase = inner.chase;
    }
    return res;
  }

  private endpoint(q: Question, ns: string, service: string, host: string): Resolution {
    const svc = this.zone.service(ns, service);
    if (!svc || svc.kind === 'externalName') return this.nxdomain();
    const eps = this.readyEndpoints(svc).filter((e) => e.ep.hostname === host);
    if (eps.length === 0) return this.nxdomain();
    return this.addresses(
      q,
      eps.map((e) => e.ep.ip),
    );
  }

  private namedPort(
    q: Question,
    ns: string,
    service: string,
    name: string,
    proto: string,
  ): Resolution {
    const svc = this.zone.service(ns, service);
    if (!svc || svc.kind === 'externalName') return this.nxdomain();
    const match = (p: PortEntry): boolean => p.name === name && p.protocol === proto;
    let targets: SrvTarget[];
    if (svc.kind === 'clusterIP') {
      const fqdn = `${svc.name}.${svc.namespace}.svc.${this.zoneName}`;
      targets = svc.ports
        .filter(match)
        .map((p) => ({ port: p.port, target: fqdn, ips: svc.clusterIPs }));
    } else {
      targets = this.endpointTargets(svc, this.readyEndpoints(svc), match);
    }
    if (targets.length === 0) return this.nxdomain();
    return q.type === RRType.SRV ? this.srv(q, targets) : this.nodata();
  }

  private pod(q: Question, labels: string[]): Resolution {
    if (labels.length === 0) return this.nodata();
    const [label, ns] = labels;
    if (labels.length !== 2 || this.podMode === 'disabled') return this.nxdomain();
    const ip = dashedLabelToIp(label as string);
    if (!ip || !this.zone.hasNamespace(ns as string)) return this.nxdomain();
    if (this.podMode === 'verified' && !this.zone.hasPodIp(ns as string, ip))
      return this.nxdomain();
    return this.addresses(q, [ip]);
  }

  private reverse(q: Question, qname: string, apex: string): Resolution | undefined {
    const ip = reverseNameToIp(qname);
    const sources = ip ? this.zone.ptrSources(ip) : [];
    if (sources.length === 0) return undefined; // not ours: falls through to the upstream
    if (q.type !== RRType.PTR && q.type !== RRType.ANY) return this.nodata(apex);
    const targets = new Set(
      sources.map((s) =>
        s.kind === 'service'
          ? `${s.service}.${s.namespace}.svc.${this.zoneName}`
          : `${s.hostname}.${s.service}.${s.namespace}.svc.${this.zoneName}`,
      ),
    );
    return this.answer(
      [...targets].map((target) => ({
        name: q.name,
        type: RRType.PTR,
        class: RRClass.IN,
        ttl: this.ttl,
        target,
      })),
    );
  }

  private readyEndpoints(svc: ServiceEntry): { ep: EndpointEntry; ports: PortEntry[] }[] {
    const out: { ep: EndpointEntry; ports: PortEntry[] }[] = [];
    for (const slice of this.zone.slicesOf(svc.namespace, svc.name))
      for (const ep of slice.endpoints)
        if (ep.ready || svc.publishNotReadyAddresses) out.push({ ep, ports: slice.ports });
    return out;
  }

  /** One SRV target per endpoint hostname and matching port, with that hostname's addresses. */
  private endpointTargets(
    svc: ServiceEntry,
    eps: { ep: EndpointEntry; ports: PortEntry[] }[],
    match: (p: PortEntry) => boolean,
  ): SrvTarget[] {
    const byKey = new Map<string, SrvTarget>();
    for (const { ep, ports } of eps) {
      const target = `${ep.hostname}.${svc.name}.${svc.namespace}.svc.${this.zoneName}`;
      for (const p of ports.filter(match)) {
        const key = `${p.port} ${target}`;
        const t = byKey.get(key) ?? { port: p.port, target, ips: [] };
        t.ips.push(ep.ip);
        byKey.set(key, t);
      }
    }
    return [...byKey.values()];
  }

  private srv(q: Question, targets: SrvTarget[]): Resolution {
    if (targets.length === 0) return this.nodata();
    const weight = Math.floor(100 / targets.length);
    const answers: ResourceRecord[] = targets.map((t) => ({
      name: q.name,
      type: RRType.SRV,
      class: RRClass.IN,
      ttl: this.ttl,
      srv: { priority: 0, weight, port: t.port, target: t.target },
    }));
    const extra = new Map<string, ResourceRecord[]>();
    for (const t of targets) extra.set(t.target, this.addressRecords(t.target, t.ips, RRType.ANY));
    return this.answer(answers, [...extra.values()].flat());
  }

  /** A/AAAA answers for `ips` (deduplicated) of the asked family; NODATA when none match. */
  private addresses(q: Question, ips: string[]): Resolution {
    return this.answer(this.addressRecords(q.name, ips, q.type));
  }

  private addressRecords(name: string, ips: string[], type: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const ip of new Set(ips)) {
      const fam = ipFamily(ip);
      const rtype = fam === 4 ? RRType.A : RRType.AAAA;
      if (type !== RRType.ANY && type !== rtype) continue;
      out.push({ name, type: rtype, class: RRClass.IN, ttl: this.ttl, address: ip });
    }
    return out;
  }

  private answer(answers: ResourceRecord[], additionals: ResourceRecord[] = []): Resolution {
    if (answers.length === 0) return this.nodata();
    return { rcode: RCode.NOERROR, answers, authorities: [], additionals };
  }

  private nodata(apex = this.zoneName): Resolution {
    return { rcode: RCode.NOERROR, answers: [], authorities: [this.soa(apex)], additionals: [] };
  }

  private nxdomain(): Resolution {
    return {
      rcode: RCode.NXDOMAIN,
      answers: [],
      authorities: [this.soa(this.zoneName)],
      additionals: [],
    };
  }

  private fail(rcode: number): Resolution {
    return { rcode, answers: [], authorities: [], additionals: [] };
  }

  private soa(apex: string): ResourceRecord {
    return {
      name: apex,
      type: RRType.SOA,
      class: RRClass.IN,
      ttl: this.ttl,
      soa: {
        mname: `ns.dns.${apex}`,
        rname: `hostmaster.${apex}`,
        serial: this.zone.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }
}

interface SrvTarget {
  port: number;
  target: string;
  ips: string[];
}
