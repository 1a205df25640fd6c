// The apiserver relay: runs inside the lab namespace and accepts on a socket that was opened in
// the root namespace (handed over as fd 3), forwarding each connection to the apiserver's
// underlay address. Nothing in the root namespace's routing changes; TLS passes through untouched.
import { connect, createServer } from 'node:net';

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!host || !(port > 0 && port < 65536)) {
  console.error('usage: relay-main.js HOST PORT (listening socket on fd 3)');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(port, host);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream).pipe(client);
});
server.on('error', (e) => {
  console.error(`relay: ${e.message}`);
  process.exit(1);
});
server.listen({ fd: 3 }, () => console.log(`relay: forwarding to ${host}:${port}`));
process.on('SIGTERM', () => process.exit(0));
