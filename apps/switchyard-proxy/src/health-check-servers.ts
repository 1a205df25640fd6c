import { type Server, createServer } from 'node:http';
import { type HealthCheck, healthCheckResponse } from '@switchyard/proxy-rules';
import type { Logger } from '@switchyard/kube';

interface Running {
  server: Server;
  check: HealthCheck;
  listening: boolean;
}

/**
 * The `healthCheckNodePort` HTTP servers of externalTrafficPolicy Local services: a load balancer
 * asks each node and only sends to nodes answering 200 (a local ready endpoint exists); 503
 * otherwise. `update()` follows each sync: new ports open, changed counts are answered at once,
 * ports no longer listed close. A port that cannot be opened (in use) is retried on the next
 * update and never stops the others.
 */
export class HealthCheckServers {
  private readonly servers = new Map<number, Running>();

  constructor(
    private readonly host: string,
    private readonly log: Logger,
  ) {}

  /** Ports currently served. */
  get ports(): number[] {
    return [...this.servers.entries()].filter(([, r]) => r.listening).map(([p]) => p);
  }

  async update(checks: readonly HealthCheck[]): Promise<void> {
    const wanted = new Map(checks.map((c) => [c.nodePort, c]));
    const closing: Promise<void>[] = [];
    for (const [port, running] of this.servers) {
      if (!wanted.has(port)) {
        this.servers.delete(port);
        closing.push(close(running.server));
      }
    }
    const opening: Promise<void>[] = [];
    for (const [port, check] of wanted) {
      const running = this.servers.get(port);
      if (running) running.check = check;
      else opening.push(this.open(port, check));
    }
    await Promise.all([...closing, ...opening]);
  }

  async close(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((r) => close(r.server)));
  }

  private open(port: number, check: HealthCheck): Promise<void> {
    const server = createServer((req, res) => {
      const { status, body } = healthCheckResponse(entry.check);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'X-Content-Type-Options': 'nosniff',
        'X-Load-Balancing-Endpoint-Weight': String(entry.check.localEndpoints),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    const entry: Running = { server, check, listening: false };
    this.servers.set(port, entry);
    return new Promise((resolve) => {
      server.once('error', (e) => {
        this.log.warn('cannot open health check node port; retried on the next sync', {
          port,
          service: `${check.namespace}/${check.name}`,
          error: e,
        });
        if (this.servers.get(port) === entry) this.servers.delete(port);
        resolve();
      });
      server.listen(port, this.host, () => {
        entry.listening = true;
        resolve();
      });
    });
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
