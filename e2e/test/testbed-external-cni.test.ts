// `cni: 'external'`: the testbed writes no conflist; nodes stay NotReady (as kubelet's
// NetworkReady=false) until something writes one into the node's net.d, as a CNI agent will.
import { writeFile } from 'node:fs/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { CONFLIST_NAME, type Testbed, startTestbed } from '@switchyard/testbed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, inCidr, podReady } from './helpers.js';

const NAME = `ex${process.pid}`.slice(0, 12);
let tb: Testbed;
let core: CoreV1Api;

beforeAll(async () => {
  tb = await startTestbed({ name: NAME, nodes: 1, underlay: '172.31.243.0/24', cni: 'external' });
  core = tb.kubeConfig.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await tb?.down();
});

describe('testbed with an external CNI', () => {
  it('keeps the node NotReady until a conflist appears, then runs pods through it', async () => {
    const node = await core.readNode({ name: 'node-1' });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain('NetworkReady=false');
    const podCidr = node.spec!.podCIDR!;
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
          containers: [
            {
              name: 'web',
              image: 'switchyard/echo',
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    });
    // Scheduled (it tolerates the taint) but waiting for the network.
    const waiting = await eventually('the pod to wait in ContainerCreating', async () => {
      const p = await core.readNamespacedPod({ name: 'web', namespace: 'default' });
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ContainerCreating' ? p : undefined;
    });
    expect(waiting.status?.podIP).toBeUndefined();

    // Play the CNI agent: a ptp + host-local conflist on the node's podCIDR.
    const dir = tb.nodeDir('node-1');
    await writeFile(
      `${dir}/net.d/${CONFLIST_NAME}`,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'agent',
        plugins: [
          {
            type: 'ptp',
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: podCidr }]],
              dataDir: `${dir}/agent-ipam`,
            },
          },
        ],
      }),
    );
    await eventually('the node to turn Ready', async () => {
      const n = await core.readNode({ name: 'node-1' });
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? n
        : undefined;
    });
    const pod = await podReady(tb.kubeConfig, 'default', 'web');
    expect(inCidr(pod.status!.podIP!, podCidr)).toBe(true);
    const r = await tb.execInNode('node-1', [
      'curl',
      '-sS',
      '-m',
      '3',
      `http://${pod.status!.podIP}:8080/hostname`,
    ]);
    expect(r.stdout).toBe('web');
  });
});
