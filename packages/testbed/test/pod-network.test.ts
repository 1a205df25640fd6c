import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodNetwork, writeConflist } from '../src/node-runtime/pod-network.js';

let dir: string;
let bin: string;
let netd: string;

// A plugin that answers STATUS with error 50 while a `broken` file sits beside it.
const PLUGIN = `#!/bin/sh
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}'; exit 0; fi
if [ -f "$(dirname "$0")/broken" ]; then
  echo '{"cniVersion":"1.1.0","code":50,"msg":"agent not running"}'; exit 1
fi
exit 0
`;

beforeAll(async () => {
  dir = await mkdtemp(`${tmpdir()}/sy-podnet-`);
  bin = `${dir}/bin`;
  netd = `${dir}/net.d`;
  await mkdir(bin);
  await writeFile(`${bin}/statusy`, PLUGIN);
  await chmod(`${bin}/statusy`, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function conflist(cniVersion: string): unknown {
  return { cniVersion, name: 'n1', plugins: [{ type: 'statusy' }] };
}

describe('node network readiness', () => {
  it('is not ready without a conflist', async () => {
    const r = await new PodNetwork(netd, [bin], `${dir}/cache`, 0).readiness();
    expect(r.ready).toBe(false);
    expect(r.message).toContain('NetworkReady=false');
    expect(r.message).toContain('cni config uninitialized');
  });

  it('follows the plugins STATUS answer for a CNI 1.1 network', async () => {
    const net = new PodNetwork(netd, [bin], `${dir}/cache`, 0);
    await writeConflist(netd, '10-n1.conflist', conflist('1.1.0'));
    await writeFile(`${bin}/broken`, '');
    const down = await net.readiness();
    expect(down.ready).toBe(false);
    expect(down.message).toContain('agent not running');
    await unlink(`${bin}/broken`);
    expect(await net.readiness()).toEqual({
      ready: true,
      message: 'kubelet is posting ready status (CNI network n1)',
    });
  });

  it('asks STATUS again only after the TTL, or when the conflist changes', async () => {
    const net = new PodNetwork(netd, [bin], `${dir}/cache`, 60_000);
    await writeConflist(netd, '10-n1.conflist', conflist('1.1.0'));
    expect((await net.readiness()).ready).toBe(true);
    await writeFile(`${bin}/broken`, '');
    expect((await net.readiness()).ready).toBe(true); // the cached answer stands
    // A 1.0.0 network has no STATUS verb: ready as soon as the conflist loads.
    await writeConflist(netd, '10-n1.conflist', conflist('1.0.0'));
    expect((await net.readiness()).ready).toBe(true);
    await writeConflist(netd, '10-n1.conflist', conflist('1.1.0'));
    expect((await net.readiness()).ready).toBe(false); // changed conflist: asked again
    await unlink(`${bin}/broken`);
  });
});
