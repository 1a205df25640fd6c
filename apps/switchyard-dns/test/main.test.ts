// The switchyard-dns executable as a process (built dist/main.js), with a Corefile file and an
// API server that never answers: JSON log lines, /health, /ready held at 503, forwarding working
// while cluster names wait for the sync, metrics, and a SIGTERM honouring `health { lameduck }`.
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver as NodeResolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resolver, Zone, QueryHandler, startDnsServer, type DnsServer } from '@switchyard/dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function launch(args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout!.on('data', (b: Buffer) => {
    pending += b.toString();
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      lines.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, lines, exited };
}

async function waitFor<T>(what: string, f: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dir: string;
let upstream: DnsServer;
let proc: Proc | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sydns-main-'));
  const zone = new Zone();
  zone.upsertService({
    metadata: { namespace: 'far', name: 'web' },
    spec: { clusterIPs: ['10.1.0.9'] },
  });
  zone.markSynced();
  const handler = new QueryHandler({ resolver: new Resolver(zone, { zone: 'upstream.test' }) });
  upstream = await startDnsServer({ handler, host: '127.0.0.1', port: 0 });
  // An API server address where nothing listens: the informers fail and retry forever.
  await writeFile(
    join(dir, 'kubeconfig'),
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
  );
  await writeFile(
    join(dir, 'Corefile'),
    `.:53 {
    errors
    health {
       lameduck 1s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
    }
    forward . 127.0.0.1:${upstream.port}
    cache 30
    hosts /etc/hosts
}
`,
  );
});

afterAll(async () => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

// Starting Node with @kubernetes/client-node takes 2 to 4 s on a busy machine.
describe('switchyard-dns main', { timeout: 30_000 }, () => {
  it('serves, stays unready without the API, and stops after the lameduck period', async () => {
    proc = launch([
      `--kubeconfig=${join(dir, 'kubeconfig')}`,
      `--corefile=${join(dir, 'Corefile')}`,
      '--host=127.0.0.1',
      '--dns-port=0',
      '--http-host=127.0.0.1',
      '--health-port=0',
      '--ready-port=0',
      '--metrics-port=0',
    ]);
    const p = proc;
    const serving = await waitFor('the serving line', () =>
      p.lines.find((l) => l.msg === 'serving'),
    );
    expect(serving).toMatchObject({ level: 'info', app: 'switchyard-dns' });
    expect(typeof serving.time).toBe('string');
    expect(p.lines.find((l) => l.msg === 'Corefile read')).toMatchObject({
      ignoredPlugins: ['hosts'],
    });
    const port = Number(String(serving.dns).split(':')[1]);
    const http = (what: 'health' | 'ready' | 'metrics', path: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${String(serving[what])}${path}`);

    let r = await http('health', '/health');
    expect([r.status, await r.text()]).toEqual([200, 'OK']);
    r = await http('ready', '/ready');
    expect([r.status, await r.text()]).toEqual([
      503,
      'waiting for: services, endpointslices, namespaces\n',
    ]);

    const client = new NodeResolver({ timeout: 2000, tries: 1 });
    client.setServers([`127.0.0.1:${port}`]);
    // Forwarding works at once; the cluster zone answers SERVFAIL until the informers sync.
    expect(await client.resolve4('web.far.svc.upstream.test')).toEqual(['10.1.0.9']);
    await expect(client.resolve4('kubernetes.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ESERVFAIL',
    });
    const metrics = await (await http('metrics', '/metrics')).text();
    expect(metrics).toContain(
      `coredns_dns_responses_total{server="dns://:${port}",zone="cluster.local.",rcode="SERVFAIL",plugin="kubernetes"} 1`,
    );
    expect(metrics).toMatch(
      /switchyard_informer_failures_total\{informer="services",[^}]*\} [1-9]/,
    );
    // The informers' retries are logged as JSON warnings, not crashes.
    expect(p.lines.some((l) => l.level === 'warn' && l.informer === 'services')).toBe(true);

    const stopAt = Date.now();
    p.child.kill('SIGTERM');
    await waitFor('the stopping line', () => p.lines.find((l) => l.msg === 'stopping'));
    r = await http('ready', '/ready');
    expect([r.status, await r.text()]).toEqual([503, 'shutting down\n']);
    // Still answering during the lameduck second.
    expect(await client.resolve4('web.far.svc.upstream.test')).toEqual(['10.1.0.9']);
    expect(await p.exited).toBe(0);
    const took = Date.now() - stopAt;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(5000);
  });

  it('rejects a bad flag with exit code 2 and the usage', async () => {
    const bad = spawn(process.execPath, [MAIN, '--dns-port=x'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise((r) => bad.once('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('--dns-port: must be a whole number from 0 to 65535, got x');
    expect(err).toContain('usage: switchyard-dns');
  });

  it('exits 1 with a JSON error line when the Corefile file is invalid', async () => {
    await writeFile(join(dir, 'Bad'), '.:53 {\n kubernetes a.local b.local\n}\n');
    const p = launch([`--kubeconfig=${join(dir, 'kubeconfig')}`, `--corefile=${join(dir, 'Bad')}`]);
    expect(await p.exited).toBe(1);
    expect(p.lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'cannot start',
      error: expect.stringContaining(
        'CorefileError: Corefile line 2: kubernetes needs exactly one cluster zone',
      ),
    });
  });
});
