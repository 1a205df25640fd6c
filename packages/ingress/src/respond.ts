import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers locally with a short text body, unless a response is already under way. */
export function sendStatus(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders = {},
  close = false,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = status === 204 || status === 304 ? '' : `${status} ${STATUS_CODES[status] ?? ''}\n`;
  const h: OutgoingHttpHeaders = { ...headers, 'content-type': 'text/plain; charset=utf-8' };
  h['content-length'] = Buffer.byteLength(body);
  if (close) h.connection = 'close';
  res.writeHead(status, h);
  res.end(body);
}

/** Writes a whole HTTP/1.1 response onto a raw socket (upgrade requests) and closes it. */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  headers: OutgoingHttpHeaders = {},
): void {
  if (socket.destroyed) return;
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [k, v] of Object.entries({
    ...headers,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  })) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
