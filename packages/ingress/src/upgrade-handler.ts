import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { decide } from './decide.js';
import { UpstreamError } from './forward.js';
import { incomingInfo, upstreamHeaders } from './proxy-handler.js';
import { balancerFor, resolveProxyOptions, type ProxyOptions } from './proxy-options.js';
import { writeRawResponse } from './respond.js';
import { upstreamRequest } from './upstream-request.js';
import type { Router } from './router.js';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function rawHead(status: number, message: string, rawHeaders: readonly string[]): string {
  const lines = [`HTTP/1.1 ${status} ${message}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * When one side of a spliced connection ends or fails, flush and close the other: an upgraded
 * connection has no meaning half-open, and nothing may be left dangling.
 */
function link(from: Duplex, to: Duplex): void {
  const closeOther = (): void => {
    if (to.destroyed) return;
    if (to.writableEnded) to.destroy();
    else to.end(() => to.destroy());
  };
  from.on('end', closeOther);
  from.on('close', closeOther);
  from.on('error', () => to.destroy());
}

/**
 * A server 'upgrade' listener (WebSocket and other Upgrade protocols): routes like the request
 * handler, opens a dedicated connection to an endpoint and, on 101, splices the two sockets.
 * A backend that refuses the upgrade has its answer relayed and the connection closed.
 */
export function createUpgradeHandler(router: Router, options: ProxyOptions): UpgradeHandler {
  const opts = resolveProxyOptions(options);
  const balancer = balancerFor(opts);
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    try {
      const info = incomingInfo(req, opts.trustForwardedHeaders);
      const d = decide(router.table, info, opts.random);
      if (d.kind === 'respond') {
        writeRawResponse(socket, d.status, d.headers);
        return;
      }
      const ep = balancer.next(d.service);
      if (!ep) {
        writeRawResponse(socket, 503);
        return;
      }
      const headers = upstreamHeaders(req.socket.remoteAddress ?? '', info, d, opts);
      headers.connection = 'Upgrade';
      headers.upgrade = req.headers.upgrade ?? '';
      const up = upstreamRequest(
        {
          endpoint: ep,
          method: req.method,
          path: d.path,
          headers,
          tls: d.options.backendTls === true,
          pooled: false,
        },
        opts,
      );
      const connectTimer = setTimeout(
        () => up.destroy(new UpstreamError('connect timeout', 504)),
        d.options.connectTimeoutMs ?? opts.connectTimeoutMs,
      );
      up.on('socket', (s) => s.once('connect', () => clearTimeout(connectTimer)));
      up.on('error', (e) => {
        clearTimeout(connectTimer);
        writeRawResponse(socket, e instanceof UpstreamError ? e.status : 502);
      });
      up.on('response', (res) => {
        socket.write(rawHead(res.statusCode ?? 502, res.statusMessage ?? '', res.rawHeaders));
        res.pipe(socket);
      });
      up.on('upgrade', (res, upSocket, upHead) => {
        link(socket, upSocket);
        link(upSocket, socket);
        socket.write(rawHead(101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders));
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        upSocket.pipe(socket, { end: false });
        socket.pipe(upSocket, { end: false });
      });
      up.end();
    } catch {
      writeRawResponse(socket, 500);
    }
  };
}
