import { KubeApiError, type KubeClient, type Logger, objectPath } from '@switchyard/kube';
import { certificateFromSecret, type CertificatePair, type TlsSecret } from '@switchyard/ingress';
import type { SecretState } from './listener-check.js';

interface Entry {
  state: Exclude<SecretState, 'unknown'>;
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

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly resyncMs: number,
    /** Called after a read changed what we know. */
    private readonly onChange: () => void,
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
      if (this.inFlight.has(k) || (e && now - e.readAt < this.resyncMs)) continue;
      void this.read(k);
    }
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
        next = { state: 'missing', readAt: Date.now() };
      } else {
        // Keep what we had (a transient error must not take a certificate away); retry soon.
        this.logger.warn('cannot read Secret', { secret: k, error: String(e) });
        return;
      }
    } finally {
      this.inFlight.delete(k);
    }
    const old = this.entries.get(k);
    this.entries.set(k, next);
    if (old?.state !== next.state || old.resourceVersion !== next.resourceVersion) this.onChange();
  }
}
