import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoBackend {
  readonly port: number;
  close(): Promise<void>;
}

/** A stand-in for a Service's pod: answers JSON with its name and the request it received. */
export async function startEchoBackend(name: string): Promise<EchoBackend> {
  const server: Server = createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          backend: name,
          method: req.method,
          url: req.url,
          bodyBytes: size,
          forwardedFor: req.headers['x-forwarded-for'],
          forwardedHost: req.headers['x-forwarded-host'],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
