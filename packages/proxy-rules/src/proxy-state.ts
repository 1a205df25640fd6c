import { categorizeEndpoints } from './categorize.js';
import { type CompileOptions, compile } from './compile.js';
import { type HealthCheck, healthChecks } from './health-checks.js';
import type { ElementOp } from './element-ops.js';
import type { EndpointSlice, NodeInfo, Service } from './model.js';
import type { NodeContext } from './node.js';
import { SERVICE_NAME_LABEL } from './model.js';
import { type Transaction, renderIncremental } from './nft-diff.js';
import { hairpinCommands, renderFullSync } from './nft-render.js';
import type { Family } from './ip.js';
import { type RuleParts, type Ruleset, emptyParts } from './ruleset.js';
import { addServicePort } from './service-rules.js';
import { type ServicePortInfo, type Skipped, resolveServicePorts } from './service-ports.js';
import { FAMILIES, skeleton } from './skeleton.js';

/** What one service contributes to the table, kept so it can be diffed and removed alone. */
interface Part {
  rules: RuleParts;
  ports: ServicePortInfo[];
  skipped: Skipped[];
}

export interface Commit {
  /** The `nft -f` transaction from the previous commit's state to this one. */
  transaction: Transaction;
  /** The whole current state (what a full sync renders, what the tracer walks). */
  ruleset: Ruleset;
  skipped: Skipped[];
  healthChecks: HealthCheck[];
  /** Every proxied service port with its endpoints (e.g. for `conntrackCleanup`). */
  servicePorts: ServicePortInfo[];
  /**
   * The ports of each service this commit recomputed (`namespace/name`), before and after: every
   * service on the first commit and after a node change. `conntrackCleanup(before, after)` over
   * these equals the one over every port, at the cost of the change.
   */
  changes: Map<string, PortChange>;
  /** `servicePorts.length` and `skipped.length`, kept without walking every service. */
  servicePortCount: number;
  skippedCount: number;
}

export interface PortChange {
  before: ServicePortInfo[];
  after: ServicePortInfo[];
}

/**
 * The proxy's desired state kept across syncs, fed informer-style (upsert/delete of Services and
 * EndpointSlices). `commit()` recomputes only the services touched since the last commit, so one
 * endpoint change costs the same at 10 services as at 10,000 (kube-proxy's partial sync).
 */
export class ProxyRules {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly slicesOf = new Map<string, Set<string>>();
  private readonly parts = new Map<string, Part>();
  private readonly dirty = new Set<string>();
  private node!: NodeInfo;
  private ctx!: NodeContext;
  /** The current whole ruleset, updated in place by each commit. */
  private current!: Ruleset;
  private nodeChanged = true;
  private portCount = 0;
  private skippedCount = 0;

  /** Throws ModelError for an unusable node or option. */
  constructor(
    node: NodeInfo,
    private readonly options: CompileOptions = {},
  ) {
    this.setNode(node);
  }

  upsertService(svc: Service): void {
    const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
    this.services.set(id, svc);
    this.dirty.add(id);
  }

  deleteService(namespace: string, name: string): void {
    this.services.delete(`${namespace}/${name}`);
    this.dirty.add(`${namespace}/${name}`);
  }

  upsertEndpointSlice(slice: EndpointSlice): void {
    const key = `${slice.metadata.namespace}/${slice.metadata.name}`;
    this.forgetSlice(key);
    this.slices.set(key, slice);
    const owner = `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
    this.slicesOf.set(owner, (this.slicesOf.get(owner) ?? new Set()).add(key));
    this.dirty.add(owner);
  }

  deleteEndpointSlice(namespace: string, name: string): void {
    this.forgetSlice(`${namespace}/${name}`);
  }

  /** A new node description (addresses, CIDRs, zone): everything is recomputed on commit. */
  setNode(node: NodeInfo): void {
    // compile() validates; nothing changes when it throws.
    const empty = compile({ node, services: [], endpointSlices: [] }, this.options);
    this.node = node;
    this.ctx = empty.node;
    this.current = empty.ruleset;
    this.nodeChanged = true;
  }

  /** Applies pending changes and returns the transaction that moves the kernel along. */
  commit(): Commit {
    if (this.nodeChanged) return this.rebuild();
    const before = this.shell();
    const after = this.shell();
    // Hairpin pairs are shared by every service using an endpoint, so they are diffed on the
    // whole state (reference counts), not on the dirty services alone.
    const touched = { ipv4: new Set<string>(), ipv6: new Set<string>() };
    const present = (family: Family, ip: string): boolean => this.current.hairpin[family].has(ip);
    const wasPresent = { ipv4: new Set<string>(), ipv6: new Set<string>() };
    const touch = (part: Part): void => {
      for (const family of FAMILIES) {
        for (const ip of part.rules.hairpin[family].keys()) {
          if (touched[family].has(ip)) continue;
          touched[family].add(ip);
          if (present(family, ip)) wasPresent[family].add(ip);
        }
      }
    };
    const changes = new Map<string, PortChange>();
    for (const id of this.dirty) {
      const old = this.parts.get(id);
      changes.set(id, { before: old?.ports ?? [], after: [] });
      if (old) {
        this.count(old, -1);
        touch(old);
        copyOwned(old.rules, before, false);
        removeOwned(old.rules, this.current);
        this.parts.delete(id);
      }
      const part = this.build(id);
      if (part) {
        this.count(part, 1);
        changes.get(id)!.after = part.ports;
        touch(part);
        copyOwned(part.rules, after, false);
        copyOwned(part.rules, this.current, true);
        this.parts.set(id, part);
      }
    }
    this.dirty.clear();
    const tx = renderIncremental(before, after);
    const hairpin: string[] = [];
    const hairpinOps: ElementOp[] = [];
    for (const family of FAMILIES) {
      const ips = [...touched[family]];
      const gone = ips.filter((ip) => wasPresent[family].has(ip) && !present(family, ip));
      const fresh = ips.filter((ip) => !wasPresent[family].has(ip) && present(family, ip));
      const sink = { text: hairpin, ops: hairpinOps };
      hairpinCommands(this.current, family, gone, 'delete', sink);
      hairpinCommands(this.current, family, fresh, 'add', sink);
    }
    const text = tx.text + (hairpin.length ? hairpin.join('\n') + '\n' : '');
    const elements = tx.elements && { elements: [...tx.elements, ...hairpinOps] };
    return this.result({ ...tx, text, ...elements }, changes);
  }

  private rebuild(): Commit {
    const changes = new Map<string, PortChange>();
    for (const [id, part] of this.parts) changes.set(id, { before: part.ports, after: [] });
    this.current = this.shell();
    this.parts.clear();
    this.portCount = 0;
    this.skippedCount = 0;
    for (const id of this.services.keys()) {
      const part = this.build(id);
      if (!part) continue;
      this.count(part, 1);
      const change = changes.get(id) ?? { before: [], after: [] };
      changes.set(id, { ...change, after: part.ports });
      copyOwned(part.rules, this.current, true);
      this.parts.set(id, part);
    }
    this.dirty.clear();
    this.nodeChanged = false;
    const text = renderFullSync(this.current);
    return this.result({ text, full: true, changed: [...this.parts.keys()] }, changes);
  }

  private count(part: Part, sign: 1 | -1): void {
    this.portCount += sign * part.ports.length;
    this.skippedCount += sign * part.skipped.length;
  }

  private build(id: string): Part | undefined {
    const svc = this.services.get(id);
    if (!svc) return undefined;
    const endpointSlices = [...(this.slicesOf.get(id) ?? [])].map((k) => this.slices.get(k)!);
    const { ports, skipped } = resolveServicePorts(
      { node: this.node, services: [svc], endpointSlices },
      this.ctx,
    );
    const rules = emptyParts();
    for (const sp of ports) addServicePort(rules, sp, categorizeEndpoints(sp, this.ctx), this.ctx);
    return { rules, ports, skipped };
  }

  // The lists span every service, so they are computed on first access only: a commit for one
  // changed endpoint must not cost O(services).
  // (Getters, so never spread this object: spreading would evaluate them.)
  private result(transaction: Transaction, changes: Map<string, PortChange>): Commit {
    const parts = [...this.parts.values()];
    let ports: ServicePortInfo[] | undefined;
    const allPorts = (): ServicePortInfo[] => (ports ??= parts.flatMap((p) => p.ports));
    return {
      transaction,
      ruleset: this.current,
      changes,
      servicePortCount: this.portCount,
      skippedCount: this.skippedCount,
      get skipped() {
        return parts.flatMap((p) => p.skipped);
      },
      get healthChecks() {
        return healthChecks(allPorts());
      },
      get servicePorts() {
        return allPorts();
      },
    };
  }

  // An empty table with the fixed part only: the frame both sides of a partial diff share.
  private shell(): Ruleset {
    return skeleton(this.current.table, this.current.masqueradeMark, this.ctx);
  }

  private forgetSlice(key: string): void {
    const old = this.slices.get(key);
    if (!old) return;
    this.slices.delete(key);
    const owner = `${old.metadata.namespace}/${old.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
    this.slicesOf.get(owner)?.delete(key);
    this.dirty.add(owner);
  }
}

function copyOwned(from: RuleParts, to: Ruleset, withHairpin: boolean): void {
  for (const family of FAMILIES) {
    for (const [ip, owner] of from.clusterIPs[family]) to.clusterIPs[family].set(ip, owner);
  }
  if (withHairpin) {
    for (const family of FAMILIES) {
      const counts = to.hairpin[family];
      for (const [ip, n] of from.hairpin[family]) counts.set(ip, (counts.get(ip) ?? 0) + n);
    }
  }
  for (const [name, c] of from.chains) if (c.owner !== undefined) to.chains.set(name, c);
  for (const [name, s] of from.affinitySets) to.affinitySets.set(name, s);
  for (const [name, m] of from.maps) {
    const target = to.maps.get(name)!.elements;
    for (const [key, el] of m.elements) target.set(key, el);
  }
  for (const [name, m] of from.dnatMaps) {
    const target = to.dnatMaps.get(name)!.elements;
    for (const [key, el] of m.elements) target.set(key, el);
  }
}

function removeOwned(part: RuleParts, from: Ruleset): void {
  for (const family of FAMILIES) {
    const ips = from.clusterIPs[family];
    for (const [ip, owner] of part.clusterIPs[family]) if (ips.get(ip) === owner) ips.delete(ip);
  }
  for (const family of FAMILIES) {
    const counts = from.hairpin[family];
    for (const [ip, n] of part.hairpin[family]) {
      const left = (counts.get(ip) ?? 0) - n;
      if (left > 0) counts.set(ip, left);
      else counts.delete(ip);
    }
  }
  for (const [name, c] of part.chains) if (c.owner !== undefined) from.chains.delete(name);
  for (const name of part.affinitySets.keys()) from.affinitySets.delete(name);
  for (const [name, m] of part.maps) {
    const target = from.maps.get(name)!.elements;
    for (const [key, el] of m.elements) if (target.get(key) === el) target.delete(key);
  }
  for (const [name, m] of part.dnatMaps) {
    const target = from.dnatMaps.get(name)!.elements;
    for (const [key, el] of m.elements) if (target.get(key) === el) target.delete(key);
  }
}
