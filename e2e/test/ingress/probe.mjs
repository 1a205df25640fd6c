// Client side of the ingress e2e, run in a node's network namespace with the host's node.
//   probe.mjs requests JSON   JSON = {address, requests: [{scheme, port, host, path, method,
//                             headers, servername, repeat}]}: one JSON line, an array with one
//                             entry per request (repeat: that many entries, keep-alive)
//                             {status, location, headers, body (parsed when JSON), cn, error}
//   probe.mjs load JSON       JSON = {address, port, host, path, durationMs, concurrency}: requests
//                             back to back on keep-alive connections for durationMs; one JSON line
//                             {ok, failed, statuses, pods, errors}
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const [mode, json] = process.argv.slice(2);
const spec = JSON.parse(json);
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });

function once(address, r) {
  const https = r.scheme === 'https';
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: address,
        port: r.port ?? (https ? 443 : 80),
        path: r.path ?? '/',
        method: r.method ?? 'GET',
        headers: { host: r.host, ...(r.headers ?? {}) },
        agent: https ? (r.servername ? false : httpsAgent) : httpAgent,
        servername: r.servername,
        rejectUnauthorized: false,
        timeout: 5000,
      },
      (res) => {
        const cn = https ? res.socket.getPeerCertificate?.()?.subject?.CN : undefined;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({
            status: res.statusCode,
            location: res.headers.location,
            headers: res.headers,
            body,
            cn,
          });
        });
        res.on('error', (e) => resolve({ error: e.code ?? String(e) }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve({ error: e.code ?? String(e) }));
    req.end();
  });
}

if (mode === 'requests') {
  const out = [];
  for (const r of spec.requests) {
    for (let i = 0; i < (r.repeat ?? 1); i++) out.push(await once(spec.address, r));
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === 'load') {
  const result = { ok: 0, failed: 0, statuses: {}, pods: {}, errors: [] };
  const end = Date.now() + spec.durationMs;
  const worker = async () => {
    while (Date.now() < end) {
      const r = await once(spec.address, { port: spec.port, host: spec.host, path: spec.path });
      if (r.status === 200) result.ok++;
      else {
        result.failed++;
        if (result.errors.length < 10) result.errors.push(r.error ?? r.status);
      }
      const k = String(r.status ?? r.error);
      result.statuses[k] = (result.statuses[k] ?? 0) + 1;
      const pod = r.body?.pod;
      if (pod) result.pods[pod] = (result.pods[pod] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
httpAgent.destroy();
httpsAgent.destroy();
