import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** Polls `check` until it returns something other than undefined, or fails with its last error. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the pod is Running with Ready=True and returns it. */
export function podReady(kc: KubeConfig, namespace: string, name: string): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  return eventually(`pod ${namespace}/${name} Ready`, async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return p.status?.phase === 'Running' && ready ? p : undefined;
  });
}

/** True when the IPv4 address lies in the CIDR. */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const toNum = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  const base = toNum(net!);
  const n = toNum(ip);
  return n >= base && n < base + size;
}

/**
 * PIDs of processes whose command line or open files mention `path`: after teardown there must be
 * none (this catches container processes, which no state file records).
 */
export function processesUsing(path: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(path)) {
        found.push(Number(entry));
        continue;
      }
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(path)) {
          found.push(Number(entry));
          break;
        }
      }
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}
