import { type Server, type Socket, connect, createServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A TCP forwarder on 127.0.0.1 in front of the testbed's apiserver whose link can be cut: `cut()`
 * resets every open connection and every new one until `restore()`. A client behind it sees what
 * a network partition or a dead load balancer looks like, while everyone else still reaches the
 * apiserver.
 */
export class CutProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private isCut = false;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<CutProxy> {
    const proxy = new CutProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    if (this.isCut) return void client.resetAndDestroy();
    const upstream = connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  cut(): void {
    this.isCut = true;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  restore(): void {
    this.isCut = false;
  }

  /** A copy of `kc` whose server is this proxy (same CA, same credentials). */
  kubeConfig(kc: KubeConfig): KubeConfig {
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser()!;
    const out = new KubeConfig();
    out.loadFromOptions({
      clusters: [{ ...cluster, server: `https://127.0.0.1:${this.port}` }],
      users: [user],
      contexts: [{ name: 'proxied', cluster: cluster.name, user: user.name }],
      currentContext: 'proxied',
    });
    return out;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
