import { type V1Pod, Watch } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { type Logger, errorMessage } from './logger.js';

export interface PodEvents {
  /** The full set of this node's pods after a (re)list: anything else is gone. */
  sync(pods: V1Pod[]): void;
  upsert(pod: V1Pod): void;
  remove(pod: V1Pod): void;
}

const WATCH_SECONDS = 240;
const MAX_BACKOFF_MS = 10_000;

/**
 * Lists and watches the pods bound to one node, forever: any error or end of a watch leads to a
 * relist (after a backoff when it was an error), and a watch that goes silent for longer than the
 * server's own timeout is aborted. client-node's informer stops on errors other than 410, which a
 * node runtime cannot afford.
 */
export class PodWatch {
  private stopped = false;
  private abort: AbortController | undefined;

  constructor(
    private readonly api: NodeApi,
    private readonly nodeName: string,
    private readonly events: PodEvents,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async loop(): Promise<void> {
    let backoff = 250;
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    while (!this.stopped) {
      let failed = false;
      try {
        const list = await this.api.core.listPodForAllNamespaces({ fieldSelector });
        this.events.sync(list.items);
        backoff = 250;
        await this.watch(fieldSelector, list.metadata?.resourceVersion ?? '');
      } catch (e) {
        failed = true;
        this.log('warn', 'pod list/watch failed; retrying', {
          error: errorMessage(e),
          backoffMs: backoff,
        });
      }
      if (this.stopped) break;
      if (failed) {
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Resolves when the watch ends normally; rejects when it fails. */
  private watch(fieldSelector: string, resourceVersion: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let watchdog: NodeJS.Timeout | undefined;
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        this.abort?.abort();
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      };
      const pet = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(
          () => finish(new Error('watch went silent')),
          (WATCH_SECONDS + 30) * 1000,
        );
      };
      pet();
      new Watch(this.api.kubeConfig)
        .watch(
          '/api/v1/pods',
          {
            fieldSelector,
            resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: WATCH_SECONDS,
          },
          (type: string, obj: V1Pod & { code?: number; message?: string }) => {
            pet();
            try {
              if (type === 'ADDED' || type === 'MODIFIED') this.events.upsert(obj);
              else if (type === 'DELETED') this.events.remove(obj);
              else if (type === 'ERROR') {
                // 410 Gone (resource version too old) and anything else: relist.
                finish(type === 'ERROR' && obj.code === 410 ? undefined : new Error(obj.message));
              }
            } catch (e) {
              this.log('error', 'pod event handler threw', { error: errorMessage(e) });
            }
          },
          (err: unknown) => finish(err),
        )
        .then((controller) => {
          this.abort = controller;
          if (finished) controller.abort();
        }, finish);
    });
  }
}
