// The floor anchor for compare.mjs: the smallest node:http reverse proxy (keep-alive agent, no
// routing, no checks), so the run shows what our routing and safety cost on top of Node itself.
// Usage: node plain-proxy.mjs <listenPort> <backendPort>
import { Agent, createServer, request } from 'node:http';

const [listenPort, backendPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true });
createServer((req, res) => {
  const up = request(
    {
      host: '127.0.0.1',
      port: backendPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(up);
}).listen(listenPort, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
