import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadConfList } from '@switchyard/cni-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFLIST_NAME,
  portMappings,
  referenceConflist,
  runtimeConf,
  writeConflist,
} from '../src/node-runtime/pod-network.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(`${tmpdir()}/sy-netd-`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('node CNI configuration', () => {
  it('writes a reference bridge + host-local conflist for the podCIDR that cni-spec loads', async () => {
    await writeConflist(dir, CONFLIST_NAME, referenceConflist('10.244.3.0/24', '/state/ipam'));
    expect(await readdir(dir)).toEqual([CONFLIST_NAME]); // the temp file was renamed away
    const list = await loadConfList(dir);
    expect(list.name).toBe('testbed');
    expect(list.plugins[0]).toMatchObject({
      type: 'bridge',
      isGateway: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], dataDir: '/state/ipam' },
    });
  });

  it('passes CNI_ARGS the way kubelet does', () => {
    const rt = runtimeConf({
      containerId: 'c1',
      netnsPath: '/run/netns/x',
      namespace: 'ns',
      name: 'p',
      uid: 'u',
      portMappings: [],
    });
    expect(rt.ifName).toBe('eth0');
    expect(rt.capabilityArgs).toBeUndefined();
    expect(rt.args).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', 'ns'],
      ['K8S_POD_NAME', 'p'],
      ['K8S_POD_INFRA_CONTAINER_ID', 'c1'],
      ['K8S_POD_UID', 'u'],
    ]);
  });

  it('hands the containers hostPorts to portMappings plugins, as kubelet does', () => {
    const ports = portMappings({
      spec: {
        containers: [
          { name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] },
          {
            name: 'b',
            ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '172.31.1.2' }],
          },
        ],
      },
    });
    expect(ports).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '172.31.1.2' },
    ]);
    const rt = runtimeConf({
      containerId: 'c1',
      netnsPath: '/run/netns/x',
      namespace: 'ns',
      name: 'p',
      uid: 'u',
      portMappings: ports,
    });
    expect(rt.capabilityArgs).toEqual({ portMappings: ports });
    // hostNetwork pods use the node's ports directly.
    expect(
      portMappings({
        spec: {
          hostNetwork: true,
          containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 80 }] }],
        },
      }),
    ).toEqual([]);
  });
});
