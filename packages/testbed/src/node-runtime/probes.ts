import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { runUnchecked } from '@switchyard/linux';

export interface ProbeTarget {
  /** The pod's address (its node's for hostNetwork pods). */
  podIP: string;
  /** The namespace exec probes run in. */
  netns: string;
  ports: readonly V1ContainerPort[];
}

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Runs one probe attempt the way kubelet does (httpGet: 200-399 succeeds; tcpSocket: connect). */
export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.ports);
    if (port === undefined) return { ok: false, message: `unknown port ${probe.httpGet.port}` };
    const https = probe.httpGet.scheme === 'HTTPS';
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/switchyard-testbed' };
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return httpProbe(
      https,
      probe.httpGet.host || target.podIP,
      port,
      probe.httpGet.path ?? '/',
      headers,
      timeoutMs,
    );
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.ports);
    if (port === undefined) return { ok: false, message: `unknown port ${probe.tcpSocket.port}` };
    return tcpProbe(probe.tcpSocket.host || target.podIP, port, timeoutMs);
  }
  if (probe.exec?.command?.length) {
    const r = await runUnchecked(['ip', 'netns', 'exec', target.netns, ...probe.exec.command], {
      timeoutMs,
    }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
    return { ok: r.exitCode === 0, message: `exit ${r.exitCode}` };
  }
  return { ok: false, message: 'probe has no handler the testbed supports (grpc is not)' };
}

/** A port number, or a named container port. */
export function resolvePort(
  port: number | string | undefined,
  ports: readonly V1ContainerPort[],
): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

function httpProbe(
  https: boolean,
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = https ? httpsRequest : httpRequest;
    const req = request(
      { host, port, path, headers, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, message: `HTTP ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, message: e.message }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.on('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: 'connected' });
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `timeout after ${timeoutMs} ms` });
    });
    socket.on('error', (e) => resolve({ ok: false, message: e.message }));
  });
}

/**
 * Runs a probe on its schedule and tracks the thresholds: `healthy` flips after successThreshold
 * successes or failureThreshold failures in a row. Readiness starts unhealthy, liveness healthy.
 */
export class ProbeRunner {
  healthy: boolean;
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly probe: V1Probe,
    private readonly target: () => ProbeTarget | undefined,
    initiallyHealthy: boolean,
    private readonly onFlip: (healthy: boolean, message: string) => void,
    /** Called when failures in a row reach failureThreshold (again every that many more). */
    private readonly onFailing?: (message: string) => void,
  ) {
    this.healthy = initiallyHealthy;
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const target = this.target();
    if (target) {
      const result = await runProbe(this.probe, target);
      if (this.stopped) return;
      if (result.ok) {
        this.failures = 0;
        this.successes++;
        if (!this.healthy && this.successes >= (this.probe.successThreshold ?? 1)) {
          this.healthy = true;
          this.onFlip(true, result.message);
        }
      } else {
        this.successes = 0;
        this.failures++;
        if (this.failures % (this.probe.failureThreshold ?? 3) === 0)
          this.onFailing?.(result.message);
        if (this.healthy && this.failures >= (this.probe.failureThreshold ?? 3)) {
          this.healthy = false;
          this.onFlip(false, result.message);
        }
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
