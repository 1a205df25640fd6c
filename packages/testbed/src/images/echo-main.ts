// Entry point of the `switchyard/echo` image (see echo-server.ts); the node runtime sets the env.
import { startEchoServer } from './echo-server.js';

const ports = (process.env.ECHO_PORTS ?? '8080').split(',').map(Number);
if (!ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
  console.error(`echo: bad ECHO_PORTS ${process.env.ECHO_PORTS}`);
  process.exit(2);
}
const pod = process.env.ECHO_POD ?? process.env.HOSTNAME ?? '';
const server = await startEchoServer({
  ports,
  hostname: process.env.HOSTNAME ?? pod,
  pod,
  namespace: process.env.ECHO_NAMESPACE ?? '',
});
console.log(`echo: serving HTTP, TCP and UDP on ${ports.join(', ')}`);
process.once('SIGTERM', () => void server.close().finally(() => process.exit(0)));
