// Client side of the Services e2e, run inside pod (or lab) namespaces with the host's node.
//   probe.mjs http URL [COUNT]          COUNT requests, each on a new connection: one line each,
//                                       the body, or REFUSED / TIMEOUT / an error code
//   probe.mjs udp HOST PORT MSG [SPORT] one datagram (from SPORT when given): the reply or TIMEOUT
//   probe.mjs udp-loop HOST PORT SPORT  forever: `hostname` every 300 ms from SPORT, one line per reply
//   probe.mjs tcp-hold HOST PORT        forever: one TCP connection, `tick N` every 300 ms, one
//                                       line per echo; `closed`/`error CODE` when it ends
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect } from 'node:net';
import { clearTimeout, setInterval, setTimeout } from 'node:timers';

const [mode, ...args] = process.argv.slice(2);
const out = (line) => process.stdout.write(`${line}\n`);
const failure = (e) => (e.code === 'ECONNREFUSED' ? 'REFUSED' : (e.code ?? String(e)));

function httpOnce(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve(failure(e)));
    req.end();
  });
}

if (mode === 'http') {
  const [url, count] = args;
  for (let i = 0; i < Number(count ?? 1); i++) out(await httpOnce(url));
} else if (mode === 'udp') {
  const [host, port, msg, sport] = args;
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  const timer = setTimeout(() => {
    out('TIMEOUT');
    s.close();
  }, 2000);
  s.on('message', (m) => {
    clearTimeout(timer);
    out(String(m).trim());
    s.close();
  });
  s.bind(Number(sport ?? 0), () => s.send(msg, Number(port), host));
} else if (mode === 'udp-loop') {
  const [host, port, sport] = args;
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  s.on('message', (m) => out(`${Date.now()} ${String(m).trim()}`));
  s.on('error', (e) => out(`${Date.now()} error ${failure(e)}`));
  s.bind(Number(sport), () => setInterval(() => s.send('hostname', Number(port), host), 300));
} else if (mode === 'tcp-hold') {
  const [host, port] = args;
  const c = connect({ host, port: Number(port) });
  let n = 0;
  c.setEncoding('utf8');
  c.on('connect', () => setInterval(() => c.write(`tick ${++n}\n`), 300));
  c.on('data', (d) =>
    d
      .split('\n')
      .filter(Boolean)
      .forEach((l) => out(`${Date.now()} ${l}`)),
  );
  c.on('end', () => {
    out(`${Date.now()} closed`);
    process.exit(0);
  });
  c.on('error', (e) => {
    out(`${Date.now()} error ${failure(e)}`);
    process.exit(0);
  });
} else {
  out(`unknown mode ${mode}`);
  process.exit(2);
}
