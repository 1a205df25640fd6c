import { createServer } from 'node:net';
import { spawnDaemon } from './daemon.js';
import { RELAY_MAIN } from './entry-points.js';
import type { ProcessRecord } from './state.js';

export interface Relay {
  record: ProcessRecord;
  /** The 127.0.0.1 port in the root namespace. */
  port: number;
}

/**
 * Opens 127.0.0.1:<port> in our (root) namespace and hands the listening socket to a relay process
 * started inside `netns`, which forwards connections to `target` from there. The root namespace
 * gains one loopback listener and no routes.
 */
export async function startRelay(
  netns: string,
  target: { host: string; port: number },
  log: string,
  port = 0,
): Promise<Relay> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
  });
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay: no port');
    // The listening fd is private API of net.Server; it is the only way to pass a socket to a
    // child that is not a Node IPC child (ours goes through `ip netns exec`).
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const record = spawnDaemon({
      role: 'apiserver-relay',
      netns,
      argv: [process.execPath, RELAY_MAIN, target.host, String(target.port)],
      log,
      fd3: fd,
    });
    return { record, port: address.port };
  } finally {
    server.close();
  }
}
