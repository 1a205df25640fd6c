import { KubeApiError, type KubeClient, type Logger, objectPath } from '@switchyard/kube';
import { certificateFromSecret, type CertificatePair, type TlsSecret } from '@switchyard/ingress';
import type { SecretState } from './listener-check.js';

interface Entry {
  state: Exclude<SecretState, 'unknown'>;
  /** Reads in a row that found it missing or unusable (the retry delay doubles with each). */
  misses: number;
  pair?: CertificatePair;
  resourceVersion?: string;
  readAt: number;
}

/**
 * Referenced Secrets, read one by one with GET (RBAC: `get` on secrets, no list or watch — the
 * API cannot restrict a watch to the names we need, and a controller that can list every Secret
 * is what made CVE-2025-1974 so bad). Each is read again every `resyncMs`; names no longer
 * referenced are forgotten.
 */
export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<string>();

  /**
   * `retryMs`: how soon a Secret that was missing or unusable is read again (a certificate is
   * often created just after the Ingress that names it), doubling up to `resyncMs`, the wait
   * between reads of a usable one.
   */
  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly resyncMs: number,
    /** Called after a read changed what we know, and when a retry is due. */
    private readonly onChange: () => void,
    private readonly retryMs = Math.min(resyncMs, 5000),
  ) {}

  readonly state = (namespace: string, name: string): SecretState =>
    this.entries.get(`${namespace}/${name}`)?.state ?? 'unknown';

  pair(namespace: string, name: string): { pair: CertificatePair; version: string } | undefined {
    const e = this.entries.get(`${namespace}/${name}`);
    return e?.pair ? { pair: e.pair, version: e.resourceVersion ?? '' } : undefined;
  }

  /** Reads the names that are new or due; forgets the rest. */
  refresh(referenced: readonly { namespace: string; name: string }[], now = Date.now()): void {
    const want = new Set(referenced.map((r) => `${r.namespace}/${r.name}`));
    for (const k of this.entries.keys()) if (!want.has(k)) this.entries.delete(k);
    for (const k of want) {
      const e = this.entries.get(k);
      const wait = e ? this.delay(e) : 0;
      if (this.inFlight.has(k) || (e && now - e.readAt < wait)) continue;
      void this.read(k);
    }
  }

  private delay(e: Entry): number {
    return e.state === 'ok'
      ? this.resyncMs
      : Math.min(this.resyncMs, this.retryMs * 2 ** (e.misses - 1));
  }

  private async read(k: string): Promise<void> {
    const [namespace, name] = k.split('/') as [string, string];
    this.inFlight.add(k);
    let next: Entry;
    try {
      const secret = await this.client.request<
        TlsSecret & { metadata: { resourceVersion?: string } }
      >('GET', objectPath({ version: 'v1', plural: 'secrets', namespace }, name));
      next = {
        state: 'ok',
        misses: 0,
        readAt: Date.now(),
        resourceVersion: secret.metadata.resourceVersion ?? '',
      };
      try {
        next.pair = certificateFromSecret(secret);
      } catch (e) {
        this.logger.warn('Secret is not a usable TLS secret', { secret: k, error: String(e) });
        next.state = 'invalid';
      }
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) {
        next = { state: 'missing', misses: 0, readAt: Date.now() };
      } else {
        // Keep what we had (a transient error must not take a certificate away); retry soon.
        this.logger.warn('cannot read Secret', { secret: k, error: String(e) });
        return;
      }
    } finally {
      this.inFlight.delete(k);
    }
    const old = this.entries.get(k);
    if (next.state !== 'ok') next.misses = (old && old.state !== 'ok' ? old.misses : 0) + 1;
    this.entries.set(k, next);
    if (old?.state !== next.state || old.resourceVersion !== next.resourceVersion) this.onChange();
    // No informer event will announce the Secret: ask for a rebuild when the retry is due.
    if (next.state !== 'ok') setTimeout(this.onChange, this.delay(next)).unref();
  }
}
