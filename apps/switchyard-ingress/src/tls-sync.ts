import type { TlsStore } from '@switchyard/ingress';
import type { Logger } from '@switchyard/kube';
import type { SecretUse } from './controller-state.js';
import type { SecretCache } from './secret-cache.js';

/**
 * Brings a TlsStore in line with the Secrets in use: each Secret's pair for its hosts (the
 * certificate's own names when none are listed), and hostnames nobody serves any more removed.
 * Work is done only when the uses or a Secret's resourceVersion changed.
 */
export class TlsSync {
  private signature = '';

  constructor(
    private readonly store: TlsStore,
    private readonly secrets: Pick<SecretCache, 'pair'>,
    private readonly logger: Logger,
  ) {}

  apply(uses: readonly SecretUse[]): void {
    const resolved = uses.flatMap((u) => {
      const p = this.secrets.pair(u.namespace, u.name);
      return p ? [{ use: u, ...p }] : [];
    });
    const signature = JSON.stringify(
      resolved.map((r) => [r.use.namespace, r.use.name, r.use.hosts ?? null, r.version]),
    );
    if (signature === this.signature) return;
    this.signature = signature;
    const served = new Set<string>();
    for (const r of resolved) {
      try {
        for (const h of this.store.set(r.pair, r.use.hosts)) served.add(h);
      } catch (e) {
        this.logger.warn('certificate not served', {
          secret: `${r.use.namespace}/${r.use.name}`,
          error: String(e),
        });
      }
    }
    for (const h of this.store.hosts()) if (!served.has(h)) this.store.delete(h);
  }
}
