import type { KubernetesObject } from '@kubernetes/client-node';
import { Backoff, type BackoffOptions, sleep } from './backoff.js';
import { type IndexFunc, ObjectCache } from './cache.js';
import { KubeApiError, KubeOptionError, statusOf } from './errors.js';
import { InformerMetrics } from './informer-metrics.js';
import { type KubeClient, type WatchEvent, type WatchHandle, apiError } from './kube-client.js';
import { type Logger, silentLogger } from './logger.js';
import type { Registry } from './metrics.js';
import { type ResourceRef, collectionPath } from './resource.js';

export interface InformerHandlers<T> {
  add: (obj: T) => void;
  update: (obj: T, old: T) => void;
  /** Gets the object's last state (from the DELETED event, or the cache when a relist found it gone). */
  delete: (obj: T) => void;
}

export type InformerEventName = keyof InformerHandlers<unknown>;

/** Why a watch ended; each end counts once in `switchyard_informer_watch_ends_total{reason}`. */
export type WatchEnd = 'closed' | 'expired' | 'silent' | 'error';

export interface InformerOptions<T, I extends string> {
  client: KubeClient;
  resource: ResourceRef;
  /** Names the informer in logs and metrics; default the collection path. */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Readonly<Record<I, IndexFunc<T>>>;
  /** Delay between failed attempts; default 500 ms doubling to 30 s, half jittered. */
  backoff?: BackoffOptions;
  /**
   * The watchdog: a watch with no event and no bookmark for this long is aborted and reopened
   * from the last resourceVersion. The apiserver sends a bookmark about once a minute, so the
   * default (150 s) only fires on a watch that is really stuck.
   */
  silenceTimeoutMs?: number;
  /** Server-side watch timeout; each watch draws from [t, 2t) so many informers spread out. Default 300. */
  watchTimeoutSeconds?: number;
  /** List page size; default 500. */
  pageSize?: number;
  logger?: Logger;
  /** Where the informer's metrics go; a private registry when absent (stats() works either way). */
  metrics?: Registry;
}

export interface InformerStats {
  synced: boolean;
  objects: number;
  resourceVersion: string | undefined;
  /** Watch ends by reason; every end leads to a new watch (after a relist when expired). */
  watchEnds: Record<WatchEnd, number>;
  relists: number;
  /** Failed list or watch attempts (each followed by a backoff). */
  failures: number;
  /** Watch events received, bookmarks included. */
  events: number;
  lastSyncTime: Date | undefined;
  lastError: string | undefined;
}

interface WatchResult {
  end: WatchEnd;
  events: number;
  error?: Error;
}

const HEALTHY_WATCH_MS = 5_000;

/**
 * A list+watch loop that never silently stops. It lists (paginated), watches from the list's
 * resourceVersion with bookmarks, and on every end of a watch starts again:
 * - the server closed it (its timeout): watch again from the last resourceVersion;
 * - 410 Gone (the resourceVersion was compacted away): relist, and tell handlers the difference;
 * - silent for `silenceTimeoutMs` (a hung connection): abort and watch again;
 * - any other error (connection refused, 403, 500...): wait a capped, jittered backoff, then
 *   watch again from the last resourceVersion, or list again if there never was one.
 * Only `stop()` ends the loop.
 */
export class Informer<T extends KubernetesObject, I extends string = never> {
  readonly name: string;
  readonly cache: ObjectCache<T, I>;
  /** Resolves after the first complete list; rejects only if stopped before that. */
  readonly synced: Promise<void>;
  private readonly path: string;
  private readonly opts: InformerOptions<T, I>;
  private readonly handlers: { [K in InformerEventName]: InformerHandlers<T>[K][] } = {
    add: [],
    update: [],
    delete: [],
  };
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly metrics: InformerMetrics;
  private readonly silenceTimeoutMs: number;
  private readonly watchTimeoutSeconds: number;
  private resolveSynced!: () => void;
  private rejectSynced!: (e: Error) => void;
  private hasSyncedFlag = false;
  private rv: string | undefined;
  private lastSync: Date | undefined;
  private lastError: string | undefined;
  private loop: Promise<void> | undefined;
  private stopper = new AbortController();
  private currentWatch: WatchHandle | undefined;

  constructor(opts: InformerOptions<T, I>) {
    this.opts = opts;
    this.path = collectionPath(opts.resource);
    this.name = opts.name ?? this.path;
    this.cache = new ObjectCache<T, I>(opts.indexers);
    this.backoff = new Backoff(opts.backoff ?? {});
    this.log = (opts.logger ?? silentLogger).child({ informer: this.name });
    this.metrics = new InformerMetrics(opts.metrics, this.name);
    this.silenceTimeoutMs = opts.silenceTimeoutMs ?? 150_000;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    if (!(this.silenceTimeoutMs > 0))
      throw new KubeOptionError('silenceTimeoutMs', 'must be positive');
    if (!(this.watchTimeoutSeconds >= 1))
      throw new KubeOptionError('watchTimeoutSeconds', 'must be >= 1');
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody has to await `synced`; a stop before sync must not become an unhandled rejection.
    this.synced.catch(() => undefined);
  }

  get hasSynced(): boolean {
    return this.hasSyncedFlag;
  }

  /** Registers a handler; returns a function that removes it. Handler errors are logged, never fatal. */
  on<K extends InformerEventName>(event: K, handler: InformerHandlers<T>[K]): () => void {
    const list = this.handlers[event] as InformerHandlers<T>[K][];
    list.push(handler);
    return () => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Starts the loop (once); returns `synced`. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.synced;
  }

  /** Ends the loop and any open watch or list; resolves when it has. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.currentWatch?.abort();
    await this.loop;
    if (!this.hasSyncedFlag)
      this.rejectSynced(new Error(`informer ${this.name} stopped before sync`));
  }

  stats(): InformerStats {
    return {
      synced: this.hasSyncedFlag,
      objects: this.cache.size,
      resourceVersion: this.rv,
      watchEnds: this.metrics.watchEnds(),
      relists: this.metrics.relists.get({ informer: this.name }),
      failures: this.metrics.failuresTotal(),
      events: this.metrics.eventsTotal(),
      lastSyncTime: this.lastSync,
      lastError: this.lastError,
    };
  }

  private get stopping(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let listed = false;
      try {
        if (this.rv === undefined) {
          await this.relist();
          listed = true;
        }
      } catch (e) {
        if (this.stopping) break;
        await this.failed('list', e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      const started = Date.now();
      const result = await this.watchOnce(this.rv!);
      if (this.stopping) break;
      this.metrics.watchEnd(result.end);
      const healthy = result.events > 0 || Date.now() - started >= HEALTHY_WATCH_MS;
      if (healthy) this.backoff.reset();
      if (result.end === 'expired') {
        this.log.info('watch expired (410); relisting', { resourceVersion: this.rv });
        this.rv = undefined;
        // 410 right after a fresh list would make an immediate relist spin: wait like an error.
        if (listed && !healthy) await this.pause();
      } else if (result.end === 'silent') {
        this.log.warn('watch silent; reopening', { silenceTimeoutMs: this.silenceTimeoutMs });
      } else if (result.end === 'error') {
        await this.failed('watch', result.error!);
      } else if (!healthy) {
        // The server closed a watch at once without a word: do not reopen it in a tight loop.
        await this.pause();
      }
    }
  }

  private async failed(stage: 'list' | 'watch', e: Error): Promise<void> {
    this.lastError = e.message;
    this.metrics.failures.inc({ informer: this.name, stage, code: String(statusOf(e) ?? 'none') });
    const delayMs = this.backoff.next();
    this.log.warn(`${stage} failed; retrying`, { error: e, status: statusOf(e), delayMs });
    await sleep(delayMs, this.stopper.signal);
  }

  private pause(): Promise<void> {
    return sleep(this.backoff.next(), this.stopper.signal);
  }

  private async relist(): Promise<void> {
    const started = process.hrtime.bigint();
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string;
    let limit: number | undefined = this.opts.pageSize ?? 500;
    for (;;) {
      let page: { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
      try {
        page = await this.opts.client.request('GET', this.path, {
          query: {
            limit,
            continue: cont,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          signal: this.stopper.signal,
        });
      } catch (e) {
        // A continue token can expire mid-list (410): list everything in one go instead.
        if (statusOf(e) !== 410 || cont === undefined) throw e;
        items.length = 0;
        cont = undefined;
        limit = undefined;
        continue;
      }
      items.push(...(page.items ?? []));
      rv = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?.continue || undefined;
      if (cont === undefined) break;
    }
    const diff = this.cache.replace(items);
    this.rv = rv;
    this.lastSync = new Date();
    this.metrics.relisted(
      this.cache.size,
      this.lastSync,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    this.log.info('listed', {
      objects: items.length,
      resourceVersion: rv,
      added: diff.added.length,
      updated: diff.updated.length,
      deleted: diff.deleted.length,
    });
    for (const o of diff.added) this.emit('add', o);
    for (const u of diff.updated) this.emit('update', u.obj, u.old);
    for (const o of diff.deleted) this.emit('delete', o);
    if (!this.hasSyncedFlag) {
      this.hasSyncedFlag = true;
      this.resolveSynced();
    }
  }

  private watchOnce(rv: string): Promise<WatchResult> {
    return new Promise((resolve) => {
      let events = 0;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd, error?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.currentWatch = undefined;
        handle.abort();
        resolve(error ? { end, events, error } : { end, events });
      };
      const pet = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => finish('silent'), this.silenceTimeoutMs);
      };
      const timeoutSeconds =
        this.watchTimeoutSeconds + Math.floor(Math.random() * this.watchTimeoutSeconds);
      // The client calls back only asynchronously, so `handle` is set before `finish` can run.
      const handle: WatchHandle = this.opts.client.watch(
        this.path,
        {
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
        (event) => {
          if (done) return;
          pet();
          if (event.type === 'ERROR') {
            const status = event.object as { code?: number };
            if (status.code === 410) return finish('expired');
            return finish(
              'error',
              apiError('WATCH', this.path, status.code ?? 0, JSON.stringify(event.object)),
            );
          }
          events++;
          try {
            this.apply(event);
          } catch (e) {
            // A malformed event or an index function that threw: the cache may be off, so
            // the next cycle relists rather than trusting it.
            this.rv = undefined;
            finish('error', e instanceof Error ? e : new Error(String(e)));
          }
        },
        (err) => {
          if (!err) return finish('closed');
          finish(err instanceof KubeApiError && err.status === 410 ? 'expired' : 'error', err);
        },
      );
      this.currentWatch = handle;
      // Armed as the request starts, so a connect or TLS handshake that hangs is caught too.
      pet();
    });
  }

  private apply(event: WatchEvent): void {
    const obj = event.object as unknown as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    this.metrics.events.inc({ informer: this.name, type: event.type.toLowerCase() });
    if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      const old = this.cache.upsert(obj);
      if (!old) this.emit('add', obj);
      // A reopened watch can replay what we have; same resourceVersion, same object.
      else if (old.metadata?.resourceVersion !== rv) this.emit('update', obj, old);
    } else if (event.type === 'DELETED') {
      if (this.cache.remove(obj)) this.emit('delete', obj);
    }
    this.metrics.objects.set({ informer: this.name }, this.cache.size);
  }

  private emit(event: 'add' | 'delete', obj: T): void;
  private emit(event: 'update', obj: T, old: T): void;
  private emit(event: InformerEventName, obj: T, old?: T): void {
    for (const h of this.handlers[event]) {
      try {
        (h as (o: T, old?: T) => void)(obj, old);
      } catch (e) {
        this.metrics.handlerErrors.inc({ informer: this.name, event });
        this.log.error('event handler threw', { event, error: e });
      }
    }
  }
}
