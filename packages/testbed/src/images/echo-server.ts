import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import {
  type IncomingMessage,
  type ServerResponse,
  createServer as createHttpServer,
} from 'node:http';
import { type Server, type Socket, createServer } from 'node:net';

export interface EchoServerOptions {
  ports: readonly number[];
  host?: string;
  /** What `/hostname` answers (the pod's name in the testbed). */
  hostname: string;
  pod: string;
  namespace: string;
}

export interface EchoServer {
  close(): Promise<void>;
}

// A connection whose first bytes are an HTTP method and a space speaks HTTP/1.x; anything else is
// echoed back byte for byte.
const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE|CONNECT) /;

/**
 * The `switchyard/echo` image: on every port, HTTP (agnhost netexec's `/hostname`, `/clientip`,
 * `/echo?msg=`; any other path answers the Gateway API conformance echo JSON), raw TCP echo for
 * anything that is not HTTP, and UDP echo (with netexec's `hostname`, `clientip`, `echo <msg>`).
 */
export async function startEchoServer(opts: EchoServerOptions): Promise<EchoServer> {
  const host = opts.host ?? '0.0.0.0';
  const http = createHttpServer((req, res) => answer(req, res, opts));
  http.keepAliveTimeout = 30_000;
  const tcp: Server[] = [];
  const udp: UdpSocket[] = [];
  const sockets = new Set<Socket>();
  try {
    for (const port of opts.ports) {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
        socket.once('data', (first: Buffer) => {
          if (HTTP_METHOD.test(first.subarray(0, 8).toString('latin1'))) {
            socket.pause();
            socket.unshift(first);
            http.emit('connection', socket);
            socket.resume();
          } else {
            socket.write(first);
            socket.pipe(socket);
          }
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
      });
      tcp.push(server);
      const dgram = createSocket('udp4');
      dgram.on('message', (msg, rinfo) => {
        dgram.send(
          udpAnswer(msg, `${rinfo.address}:${rinfo.port}`, opts.hostname),
          rinfo.port,
          rinfo.address,
        );
      });
      dgram.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        dgram.once('error', reject);
        dgram.bind(port, host, resolve);
      });
      udp.push(dgram);
    }
  } catch (e) {
    for (const s of tcp) s.close();
    for (const d of udp) d.close();
    throw e;
  }
  return {
    close: async (): Promise<void> => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        ...tcp.map((s) => new Promise<void>((r) => s.close(() => r()))),
        ...udp.map((d) => new Promise<void>((r) => d.close(() => r()))),
      ]);
    },
  };
}

function answer(req: IncomingMessage, res: ServerResponse, opts: EchoServerOptions): void {
  const url = new URL(req.url ?? '/', 'http://echo');
  const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  const text = (body: string): void => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
  switch (url.pathname) {
    case '/hostname':
      return text(opts.hostname);
    case '/clientip':
      return text(client);
    case '/echo':
      return text(url.searchParams.get('msg') ?? '');
  }
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = canonicalHeader(req.rawHeaders[i]!);
    (headers[name] ??= []).push(req.rawHeaders[i + 1]!);
  }
  const body = JSON.stringify({
    path: req.url ?? '/',
    host: req.headers.host ?? '',
    method: req.method ?? '',
    proto: `HTTP/${req.httpVersion}`,
    headers,
    namespace: opts.namespace,
    ingress: '',
    service: '',
    pod: opts.pod,
  });
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
  req.resume();
}

/** Go's canonical MIME header form (`x-forwarded-for` -> `X-Forwarded-For`), as the Go echo server reports. */
export function canonicalHeader(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join('-');
}

function udpAnswer(msg: Buffer, client: string, hostname: string): Buffer {
  const text = msg.toString('utf8').trim();
  if (text === 'hostname') return Buffer.from(hostname);
  if (text === 'clientip') return Buffer.from(client);
  if (text.startsWith('echo ')) return Buffer.from(text.slice(5));
  return msg;
}
