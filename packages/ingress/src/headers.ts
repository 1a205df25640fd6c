import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HeaderModifier } from './route.js';

/** Headers that describe one connection, not the message; never forwarded (RFC 9110 7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Copies end-to-end headers, dropping hop-by-hop ones and any the Connection header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connection = headers.connection;
  const named = connection
    ? new Set(connection.split(',').map((s) => s.trim().toLowerCase()))
    : undefined;
  const out: OutgoingHttpHeaders = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || HOP_BY_HOP.has(k) || named?.has(k)) continue;
    out[k] = v;
  }
  return out;
}

export interface ForwardedInfo {
  clientAddress: string;
  proto: 'http' | 'https';
  host: string | undefined;
  port: number;
  /** Keep and extend X-Forwarded-* from the client (only behind a trusted load balancer). */
  trust: boolean;
}

/** Sets X-Forwarded-For/-Proto/-Host/-Port and X-Real-IP. */
export function setForwarded(out: OutgoingHttpHeaders, f: ForwardedInfo): void {
  const prior = f.trust ? out['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = prior ? `${String(prior)}, ${f.clientAddress}` : f.clientAddress;
  // X-Real-IP is the original client: the first trusted hop, else the socket peer.
  const firstHop = f.trust
    ? String(prior ?? '')
        .split(',')[0]
        ?.trim()
    : undefined;
  out['x-real-ip'] = firstHop || f.clientAddress;
  if (!f.trust || out['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = f.proto;
  if (!f.trust || out['x-forwarded-host'] === undefined) {
    if (f.host === undefined) delete out['x-forwarded-host'];
    else out['x-forwarded-host'] = f.host;
  }
  if (!f.trust || out['x-forwarded-port'] === undefined) out['x-forwarded-port'] = String(f.port);
}

/** Gateway API header modifier semantics: set replaces, add appends, remove deletes. */
export function applyHeaderModifier(out: OutgoingHttpHeaders, m: HeaderModifier | undefined): void {
  if (!m) return;
  for (const [k, v] of m.set) out[k] = v;
  for (const [k, v] of m.add) {
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else if (k === 'set-cookie') out[k] = [...(Array.isArray(cur) ? cur : [String(cur)]), v];
    else out[k] = `${Array.isArray(cur) ? cur.join(', ') : String(cur)},${v}`;
  }
  for (const k of m.remove) delete out[k];
}
