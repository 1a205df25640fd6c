import { sleep } from './backoff.js';
import { KubeOptionError, statusOf } from './errors.js';
import type { KubeClient } from './kube-client.js';
import { type Logger, silentLogger } from './logger.js';
import { type Gauge, Registry } from './metrics.js';
import { type ResourceRef, collectionPath, objectPath } from './resource.js';

export interface LeaderElectionOptions {
  client: KubeClient;
  /** The Lease (coordination.k8s.io/v1) every candidate competes for. */
  namespace: string;
  name: string;
  /** This candidate; unique among candidates (e.g. the pod name). */
  identity: string;
  /** How long a lease holds without renewal before another candidate may take it; default 15 s. */
  leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long; default 10 s (< lease duration). */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew; default 2 s. */
  retryPeriodMs?: number;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost, or released by stop()). */
  onStoppedLeading: () => void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?: (identity: string) => void;
  /** Give the lease up on stop() so another candidate takes over at once; default true. */
  releaseOnStop?: boolean;
  logger?: Logger;
  metrics?: Registry;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

const LEASES = (namespace: string): ResourceRef => ({
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace,
});

/** A metav1.MicroTime string: RFC 3339 with exactly six fractional digits, as Leases need. */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Lease-based leader election as client-go does it: a candidate takes the Lease when it is free
 * or when its record has not changed for a lease duration *by our own clock* (so clock skew
 * between machines does not matter), renews it every retry period with an optimistic-concurrency
 * update, and steps down once it could not renew for the renew deadline, which is shorter than the
 * lease duration, so two leaders never overlap. After losing it competes again; only stop() ends it.
 */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'onNewLeader' | 'logger' | 'metrics'>> &
    LeaderElectionOptions;
  private readonly log: Logger;
  private readonly leaderGauge: Gauge;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private leading: AbortController | undefined;
  private observed: { key: string; at: number; spec: LeaseSpec } | undefined;
  private holder: string | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnStop: true,
      ...opts,
    };
    if (!opts.identity) throw new KubeOptionError('identity', 'must not be empty');
    objectPath(LEASES(opts.namespace), opts.name);
    if (!(this.o.renewDeadlineMs < this.o.leaseDurationMs)) {
      throw new KubeOptionError('renewDeadlineMs', 'must be shorter than leaseDurationMs');
    }
    if (!(this.o.retryPeriodMs > 0 && this.o.retryPeriodMs * 1.2 < this.o.renewDeadlineMs)) {
      throw new KubeOptionError('retryPeriodMs', 'must be positive and well under renewDeadlineMs');
    }
    this.log = (opts.logger ?? silentLogger).child({
      lease: `${opts.namespace}/${opts.name}`,
      identity: opts.identity,
    });
    this.leaderGauge = (opts.metrics ?? new Registry()).gauge(
      'switchyard_leader_election_is_leader',
      '1 while this process holds the lease.',
      ['lease'],
    );
    this.leaderGauge.set(this.labels, 0);
  }

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** The holder we last observed (ourselves when leading); undefined before the first read. */
  get leader(): string | undefined {
    return this.holder;
  }

  /** Starts competing (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops competing; when leading, steps down (and releases the lease unless told not to). */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private get labels(): { lease: string } {
    return { lease: `${this.o.namespace}/${this.o.name}` };
  }

  private get stopping(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (!(await this.acquire())) break;
      await this.lead();
    }
  }

  /** Resolves true once we hold the lease, false when stopped first. */
  private async acquire(): Promise<boolean> {
    while (!this.stopping) {
      if (await this.tryAcquireOrRenew(this.o.retryPeriodMs * 2)) return true;
      await sleep(this.o.retryPeriodMs * (1 + 0.2 * Math.random()), this.stopper.signal);
    }
    return false;
  }

  private async lead(): Promise<void> {
    const leading = new AbortController();
    this.leading = leading;
    this.leaderGauge.set(this.labels, 1);
    this.log.info('became leader');
    void Promise.resolve()
      .then(() => this.o.onStartedLeading(leading.signal))
      .catch((e: unknown) => this.log.error('onStartedLeading threw', { error: e }));
    let lastRenew = Date.now();
    while (!this.stopping) {
      await sleep(this.o.retryPeriodMs, this.stopper.signal);
      if (this.stopping) break;
      const left = lastRenew + this.o.renewDeadlineMs - Date.now();
      if (left > 0 && (await this.tryAcquireOrRenew(left))) {
        lastRenew = Date.now();
        continue;
      }
      if (this.holder && this.holder !== this.o.identity) {
        this.log.warn('the lease has another holder; stepping down', { holder: this.holder });
        break;
      }
      if (Date.now() - lastRenew >= this.o.renewDeadlineMs) {
        this.log.warn('could not renew within the deadline; stepping down', {
          renewDeadlineMs: this.o.renewDeadlineMs,
        });
        break;
      }
    }
    if (this.stopping && this.o.releaseOnStop) await this.release();
    this.leading = undefined;
    leading.abort();
    this.leaderGauge.set(this.labels, 0);
    this.safely('onStoppedLeading', () => this.o.onStoppedLeading());
  }

  /** One attempt, all of it (GET and the write) within `timeoutMs`. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const now = new Date();
    const deadline = now.getTime() + timeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    const path = objectPath(LEASES(this.o.namespace), this.o.name);
    const spec: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      let lease: Lease;
      try {
        lease = await this.o.client.request<Lease>('GET', path, { timeoutMs: left() });
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        const created = await this.o.client.request<Lease>(
          'POST',
          collectionPath(LEASES(this.o.namespace)),
          {
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.o.name, namespace: this.o.namespace },
              spec,
            },
            timeoutMs: left(),
          },
        );
        this.observe(created, Date.now());
        return true;
      }
      this.observe(lease, now.getTime());
      const cur = lease.spec ?? {};
      const held = Boolean(cur.holderIdentity) && cur.holderIdentity !== this.o.identity;
      const expiresAt = this.observed!.at + (cur.leaseDurationSeconds ?? 0) * 1000;
      if (held && expiresAt > Date.now()) return false;
      if (cur.holderIdentity === this.o.identity) {
        spec.acquireTime = cur.acquireTime ?? spec.acquireTime;
        spec.leaseTransitions = cur.leaseTransitions ?? 0;
      } else {
        spec.leaseTransitions = (cur.leaseTransitions ?? 0) + 1;
      }
      // The resourceVersion makes this an optimistic update: a rival's write in between is a 409.
      const updated = await this.o.client.request<Lease>('PUT', path, {
        body: { ...lease, spec },
        timeoutMs: left(),
      });
      this.observe(updated, Date.now());
      return true;
    } catch (e) {
      if (statusOf(e) !== 409) this.log.warn('lease request failed', { error: e });
      return false;
    }
  }

  /** Records the lease; `at` moves only when the record changed (our clock, not the holder's). */
  private observe(lease: Lease, at: number): void {
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${lease.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at, spec };
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.holder) {
      this.holder = holder;
      if (holder && this.o.onNewLeader)
        this.safely('onNewLeader', () => this.o.onNewLeader!(holder));
    }
  }

  /** Gives the lease up (empty holder, 1 s duration) so a rival need not wait for expiry. */
  private async release(): Promise<void> {
    const path = objectPath(LEASES(this.o.namespace), this.o.name);
    try {
      const lease = await this.o.client.request<Lease>('GET', path, {
        timeoutMs: this.o.renewDeadlineMs,
      });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      const now = microTime();
      await this.o.client.request('PUT', path, {
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: now,
            acquireTime: now,
          },
        },
        timeoutMs: this.o.renewDeadlineMs,
      });
      this.log.info('released the lease');
    } catch (e) {
      this.log.warn('could not release the lease; it expires on its own', { error: e });
    }
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`${what} threw`, { error: e });
    }
  }
}
