import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeApiError, KubeTransportError } from './errors.js';
import type { KubeCredentials } from './kube-credentials.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  /** Deadline for the whole exchange, body included; default the client's (30 s). */
  timeoutMs?: number;
  /** Aborting destroys the request; it then rejects with a KubeTransportError. */
  signal?: AbortSignal;
}

/** One event of a watch stream, as the apiserver sent it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

/** A running watch; `abort()` ends it (and its connection) at any stage, even mid-connect. */
export interface WatchHandle {
  abort(): void;
}

/**
 * Raw JSON requests against the apiserver, authenticated by KubeCredentials: what
 * `loadKubeConfig` returns, or a client-node KubeConfig (client certificates, tokens, token files,
 * exec plugins all come from `applyToHTTPSOptions`). Objects
 * stay the JSON the server sent (timestamps are RFC 3339 strings), the same shape a watch
 * delivers, so list results and watch events never differ in type.
 */
export class KubeClient {
  readonly server: string;
  private readonly timeoutMs: number;

  constructor(
    readonly kubeConfig: KubeCredentials,
    opts: { timeoutMs?: number } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new KubeTransportError('connect', '', new Error('kubeconfig has no current cluster'));
    this.server = cluster.server.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Sends one request; resolves with the parsed JSON body, rejects with KubeApiError/KubeTransportError. */
  async request<T = unknown>(verb: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: OutgoingHttpHeaders = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    let req: ClientRequest;
    try {
      req = await this.open(verb, path, opts.query, headers);
    } catch (e) {
      // Credentials that could not be loaded (a token file, an exec plugin) or a bad URL.
      throw new KubeTransportError(verb, path, e);
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(
        () => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e) => reject(new KubeTransportError(verb, path, e)));
      const signal = opts.signal;
      if (signal) {
        const onAbort = (): void => void req.destroy(new Error('aborted'));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        req.on('close', () => signal.removeEventListener('abort', onAbort));
      }
      req.on('response', (res) => {
        readBody(res).then(
          (text) => {
            if (isOk(res)) {
              try {
                resolve((text ? JSON.parse(text) : undefined) as T);
              } catch (e) {
                reject(new KubeTransportError(verb, path, e));
              }
            } else reject(apiError(verb, path, res.statusCode ?? 0, text));
          },
          (e: unknown) => reject(new KubeTransportError(verb, path, e)),
        );
      });
      req.end(body);
    });
  }

  /**
   * Opens a watch (`?watch=true`). Every event goes to `onEvent`; `onEnd` is called exactly once:
   * with undefined when the server ends the stream, with an error otherwise (a non-200 answer is a
   * KubeApiError; a line that is not JSON ends the watch rather than being skipped; so does an
   * `onEvent` that throws, with its error). Events after `abort()` are never delivered.
   */
  watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    onEnd: (err?: Error) => void,
  ): WatchHandle {
    let req: ClientRequest | undefined;
    let ended = false;
    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      req?.destroy();
      onEnd(err);
    };
    this.open('GET', path, { ...query, watch: true }, { Accept: 'application/json' }).then(
      (r) => {
        req = r;
        // Listen first: destroying a request with no 'error' listener would throw.
        r.on('error', (e) => end(new KubeTransportError('WATCH', path, e)));
        if (ended) return void r.destroy();
        r.on('response', (res) => {
          if (!isOk(res)) {
            readBody(res).then(
              (text) => end(apiError('WATCH', path, res.statusCode ?? 0, text)),
              (e: unknown) => end(new KubeTransportError('WATCH', path, e)),
            );
            return;
          }
          res.setEncoding('utf8');
          // The unfinished line so far; only each new chunk is searched for newlines, so a large
          // object arriving in many chunks costs linear time.
          let pending = '';
          res.on('data', (chunk: string) => {
            let start = 0;
            let nl: number;
            while (!ended && (nl = chunk.indexOf('\n', start)) >= 0) {
              const line = (pending + chunk.slice(start, nl)).trim();
              pending = '';
              start = nl + 1;
              if (!line) continue;
              let event: WatchEvent;
              try {
                event = JSON.parse(line) as WatchEvent;
              } catch (e) {
                return end(new KubeTransportError('WATCH', path, e));
              }
              try {
                onEvent(event);
              } catch (e) {
                // A consumer that throws ends its own watch rather than the process.
                return end(e instanceof Error ? e : new Error(String(e)));
              }
            }
            if (!ended) pending += chunk.slice(start);
          });
          res.on('end', () => end());
          res.on('error', (e) => end(new KubeTransportError('WATCH', path, e)));
          // A reset after headers shows up as `aborted`/`close` without `end`.
          res.on('close', () =>
            end(
              res.complete
                ? undefined
                : new KubeTransportError('WATCH', path, new Error('connection closed mid-stream')),
            ),
          );
        });
        r.end();
      },
      (e: unknown) => end(new KubeTransportError('WATCH', path, e)),
    );
    return { abort: () => end(new KubeTransportError('WATCH', path, new Error('aborted'))) };
  }

  private async open(
    verb: string,
    path: string,
    query: Query | undefined,
    headers: OutgoingHttpHeaders,
  ): Promise<ClientRequest> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const merged: https.RequestOptions = {
      ...opts,
      method: verb,
      headers: { ...(opts.headers ?? {}), ...headers },
    };
    if (url.protocol === 'http:') {
      delete merged.agent;
      return http.request(url, merged);
    }
    return https.request(url, merged);
  }
}

function isOk(res: IncomingMessage): boolean {
  const s = res.statusCode ?? 0;
  return s >= 200 && s < 300;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** Builds a KubeApiError from a Status body (or whatever text the server sent). */
export function apiError(verb: string, path: string, status: number, text: string): KubeApiError {
  let reason = '';
  let message = text.slice(0, 300);
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string; code?: number };
    reason = s.reason ?? '';
    message = s.message ?? message;
  } catch {
    // Not a Status object (a proxy's HTML page, say): keep the raw text.
  }
  return new KubeApiError(
    verb,
    path,
    status,
    reason || http.STATUS_CODES[status] || 'Unknown',
    message,
  );
}
