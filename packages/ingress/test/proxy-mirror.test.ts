import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { staticEndpoints } from '../src/endpoints.js';
import type { ProxyEvent } from '../src/proxy-options.js';
import { RouteTable } from '../src/route-table.js';
import { Router } from '../src/router.js';
import { createIngressServer } from '../src/server.js';
import { httpRoute } from './fixtures.js';
import { close, listen } from './harness.js';

let primary: Server, stuckMirror: Server, proxy: Server, port: number;
let mirrorSawRequest = false;
const events: ProxyEvent[] = [];

beforeAll(async () => {
  // The primary counts the body bytes it receives.
  primary = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
  });
  // The mirror accepts the request and then never reads its body nor answers.
  stuckMirror = createServer((req) => {
    mirrorSawRequest = true;
    req.pause();
  });
  const [p, m] = await Promise.all([listen(primary), listen(stuckMirror)]);
  const table = new RouteTable(
    compileHttpRoutes([
      httpRoute('r', {
        rules: [
          {
            filters: [
              {
                type: 'RequestMirror',
                requestMirror: { backendRef: { name: 'mirror', port: 80 } },
              },
            ],
            backendRefs: [{ name: 'primary', port: 80 }],
          },
        ],
      }),
    ]).routes,
  );
  proxy = createIngressServer(new Router(table), {
    endpoints: staticEndpoints({
      'default/primary:80': [{ address: '127.0.0.1', port: p }],
      'default/mirror:80': [{ address: '127.0.0.1', port: m }],
    }),
    maxBodyBytes: 16 * 1024 * 1024,
    onEvent: (e) => events.push(e),
  });
  port = await listen(proxy);
});

afterAll(async () => {
  await close(proxy, primary, stuckMirror);
});

describe('RequestMirror', () => {
  it(
    'a mirror that stops reading neither stalls nor truncates the real request',
    { timeout: 30_000 },
    async () => {
      const size = 8 * 1024 * 1024;
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/upload',
            method: 'POST',
            agent: false,
            headers: { host: 'm.test', 'content-length': size },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(body));
          },
        );
        req.on('error', reject);
        req.end(Buffer.alloc(size, 7));
      });
      expect(answer).toBe(String(size));
      expect(mirrorSawRequest).toBe(true);
      await expect
        .poll(() => events.some((e) => e.msg === 'mirror failed' && e.error?.includes('too slow')))
        .toBe(true);
    },
  );
});
