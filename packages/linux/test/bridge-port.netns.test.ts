import { describe, expect, it } from 'vitest';
import {
  NetlinkError,
  Rtnl,
  createBridge,
  createVeth,
  getBridgePort,
  setBridgePortHairpin,
  setLink,
  withNetns,
} from '../src/index.js';
import { ipJson, netnsLifecycle } from './helpers.js';

netnsLifecycle();

interface BridgeLink {
  ifname: string;
  hairpin?: boolean;
}

describe('bridge port settings over rtnetlink', () => {
  it('turns hairpin mode on and off on an enslaved veth, as iproute2 reports it', async () => {
    await withNetns(['hp'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createBridge(nl, { name: 'br0', up: true });
        await createVeth(nl, { name: 'port-a', peer: { name: 'peer-a' } });
        await createVeth(nl, { name: 'port-b', peer: { name: 'peer-b' } });
        await setLink(nl, 'port-a', { master: 'br0', up: true });
        await setLink(nl, 'port-b', { master: 'br0', up: true });
        await setLink(nl, 'peer-a', { up: true });
        const kernel = async (): Promise<Record<string, boolean | undefined>> => {
          const { stdout } = await ns.exec(['bridge', '-d', '-j', 'link', 'show']);
          const links = JSON.parse(stdout) as BridgeLink[];
          return Object.fromEntries(links.map((l) => [l.ifname, l.hairpin]));
        };
        expect(await kernel()).toEqual({ 'port-a': false, 'port-b': false });
        expect(await getBridgePort(nl, 'port-a')).toMatchObject({ hairpin: false });

        await setBridgePortHairpin(nl, 'port-a', true);
        // Only the port asked for changes, and our own dump agrees with iproute2.
        expect(await kernel()).toEqual({ 'port-a': true, 'port-b': false });
        expect(await getBridgePort(nl, 'port-a')).toMatchObject({ hairpin: true });
        expect(await getBridgePort(nl, 'port-b')).toMatchObject({ hairpin: false });
        // The port stays forwarding: the nested attribute was not read as an STP port state.
        const { stdout } = await ns.exec(['bridge', '-j', 'link', 'show', 'dev', 'port-a']);
        expect(JSON.parse(stdout)).toMatchObject([{ state: 'forwarding' }]);

        await setBridgePortHairpin(nl, 'port-a', false);
        expect(await kernel()).toEqual({ 'port-a': false, 'port-b': false });
      } finally {
        nl.close();
      }
    });
  });

  it('fails with a typed error on a link that is not a bridge port, changing nothing', async () => {
    await withNetns(['hpbad'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVeth(nl, { name: 'lone', peer: { name: 'lone-peer' } });
        await expect(setBridgePortHairpin(nl, 'lone', true)).rejects.toBeInstanceOf(NetlinkError);
        await expect(getBridgePort(nl, 'lone')).rejects.toMatchObject({ code: 'ENODEV' });
        await expect(setBridgePortHairpin(nl, 'missing', true)).rejects.toMatchObject({
          code: 'ENODEV',
        });
        const links = await ipJson<{ ifname: string; master?: string }[]>(ns, ['link', 'show']);
        expect(links.every((l) => l.master === undefined)).toBe(true);
      } finally {
        nl.close();
      }
    });
  });
});
