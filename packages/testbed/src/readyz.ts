import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { CertFiles } from './certs.js';

/** GETs `/readyz` with the admin client certificate; resolves true on 200, false otherwise. */
export function apiserverReady(server: string, ca: string, client: CertFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      {
        ca: readFileSync(ca),
        cert: readFileSync(client.cert),
        key: readFileSync(client.key),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
