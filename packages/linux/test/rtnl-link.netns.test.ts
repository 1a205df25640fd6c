import { describe, expect, it } from 'vitest';
import {
  NetlinkError,
  NetnsError,
  Rtnl,
  addAddress,
  addRoute,
  createBridge,
  createVeth,
  createVxlan,
  deleteLink,
  getLink,
  listLinks,
  netnsId,
  setLink,
  withNetns,
} from '../src/index.js';
import { ipJson, netnsLifecycle } from './helpers.js';

netnsLifecycle();

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  flags: string[];
  link_netnsid?: number;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}

describe('links over rtnetlink', () => {
  it('creates a veth whose peer appears only in the target namespace, and pings across it', async () => {
    await withNetns(['host', 'pod'], async (host, pod) => {
      const hostNl = Rtnl.open({ netns: host });
      const podNl = Rtnl.open({ netns: pod });
      try {
        await createVeth(hostNl, {
          name: 'veth-a',
          mtu: 1400,
          peer: { name: 'eth0', netns: pod, mtu: 1400 },
        });
        await setLink(hostNl, 'veth-a', { up: true });
        await addAddress(hostNl, 'veth-a', '10.201.0.1/24');
        // Inside the pod namespace through a socket opened there (setns), not through `ip -n`.
        await setLink(podNl, 'eth0', { up: true });
        await addAddress(podNl, 'eth0', '10.201.0.2/24');
        await addRoute(podNl, { dst: 'default', gateway: '10.201.0.1', dev: 'eth0' });

        const hostLinks = await ipJson<IpLink[]>(host, ['link', 'show']);
        expect(hostLinks.map((l) => l.ifname).sort()).toEqual(['lo', 'veth-a']);
        const podLinks = await ipJson<IpLink[]>(pod, ['-d', 'link', 'show', 'eth0']);
        expect(podLinks[0]).toMatchObject({
          ifname: 'eth0',
          mtu: 1400,
          linkinfo: { info_kind: 'veth' },
        });
        const routes = await ipJson(pod, ['route', 'show', 'default']);
        expect(routes[0]).toMatchObject({ gateway: '10.201.0.1', dev: 'eth0' });

        const ping = await pod.exec(['ping', '-c', '1', '-W', '2', '10.201.0.1']);
        expect(ping.stdout).toMatch(/1 received/);

        // Our own dump agrees with iproute2.
        const seen = await listLinks(podNl);
        expect(seen.find((l) => l.name === 'eth0')).toMatchObject({
          kind: 'veth',
          up: true,
          mtu: 1400,
        });
      } finally {
        hostNl.close();
        podNl.close();
      }
    });
  });

  it('builds a bridge, enslaves a port and sets MTU and MAC', async () => {
    await withNetns(['br'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createBridge(nl, { name: 'cni0', mtu: 1450 });
        await createVeth(nl, { name: 'vport', peer: { name: 'vpeer' } });
        await setLink(nl, 'vport', { master: 'cni0', up: true, mtu: 1450 });
        await setLink(nl, 'cni0', { mac: '0a:58:0a:f4:01:01', up: true });
        const [bridge] = await ipJson<IpLink[]>(ns, ['-d', 'link', 'show', 'cni0']);
        expect(bridge).toMatchObject({
          mtu: 1450,
          address: '0a:58:0a:f4:01:01',
          linkinfo: { info_kind: 'bridge' },
        });
        expect(bridge!.flags).toContain('UP');
        const [port] = await ipJson<IpLink[]>(ns, ['link', 'show', 'vport']);
        expect(port).toMatchObject({ master: 'cni0', mtu: 1450 });

        await setLink(nl, 'vport', { master: null, up: false });
        const [released] = await ipJson<IpLink[]>(ns, ['link', 'show', 'vport']);
        expect(released!.master).toBeUndefined();
        expect(released!.flags).not.toContain('UP');

        await deleteLink(nl, 'vport');
        expect(await getLink(nl, 'vport')).toBeUndefined();
        expect(await getLink(nl, 'vpeer')).toBeUndefined(); // deleting one end removes the pair
      } finally {
        nl.close();
      }
    });
  });

  it('creates a VXLAN device with id, port, local, underlay device and learning off', async () => {
    await withNetns(['vx'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVeth(nl, { name: 'underlay', peer: { name: 'underlay-p' } });
        await addAddress(nl, 'underlay', '10.202.0.1/24');
        await createVxlan(nl, {
          name: 'switchyard.1',
          vni: 1,
          port: 8472,
          local: '10.202.0.1',
          dev: 'underlay',
          learning: false,
          mtu: 1450,
          mac: '0a:00:00:00:00:01',
        });
        const [dev] = await ipJson<IpLink[]>(ns, ['-d', 'link', 'show', 'switchyard.1']);
        expect(dev!.linkinfo).toMatchObject({
          info_kind: 'vxlan',
          info_data: { id: 1, port: 8472, local: '10.202.0.1', link: 'underlay', learning: false },
        });
        expect(dev).toMatchObject({ mtu: 1450, address: '0a:00:00:00:00:01' });
        const underlay = await getLink(nl, 'underlay');
        expect(await getLink(nl, 'switchyard.1')).toMatchObject({
          kind: 'vxlan',
          mac: '0a:00:00:00:00:01',
          vxlan: { vni: 1, port: 8472, local: '10.202.0.1', dev: underlay!.index, learning: false },
        });
      } finally {
        nl.close();
      }
    });
  });

  it('reads another namespace through targetNetnsid without entering it', async () => {
    await withNetns(['rd', 'tg'], async (reader, target) => {
      await target.exec(['ip', 'link', 'add', 'only-here', 'type', 'bridge']);
      const nl = Rtnl.open({ netns: reader });
      try {
        const id = await netnsId(nl, target);
        expect(id).toBeGreaterThanOrEqual(0);
        expect(await netnsId(nl, target)).toBe(id); // stable once assigned
        const names = (await listLinks(nl, { targetNetnsid: id })).map((l) => l.name);
        expect(names.sort()).toEqual(['lo', 'only-here']);
        expect((await listLinks(nl)).map((l) => l.name)).toEqual(['lo']);
      } finally {
        nl.close();
      }
    });
  });

  it('answers hundreds of concurrent dumps, gets and writes on one socket without losing a reply', async () => {
    // Unbounded, these replies overflow the receive buffer and netlink@0.3.0 aborts the process.
    await withNetns(['many'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        for (let i = 0; i < 40; i++) await createBridge(nl, { name: `br${i}` });
        const results = await Promise.allSettled([
          ...Array.from({ length: 200 }, () => listLinks(nl)),
          ...Array.from({ length: 200 }, (_, i) => getLink(nl, `br${i % 40}`)),
          ...Array.from({ length: 200 }, (_, i) =>
            setLink(nl, `br${i % 40}`, { mtu: 1400 + (i % 40) }),
          ),
        ]);
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const [br7] = await ipJson<IpLink[]>(ns, ['link', 'show', 'br7']);
        expect(br7!.mtu).toBe(1407);
      } finally {
        nl.close();
      }
    });
  });

  it('reports kernel rejections as NetlinkError and bad targets as NetnsError', async () => {
    await withNetns(['err'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createBridge(nl, { name: 'dup' });
        const dup = await createBridge(nl, { name: 'dup' }).catch((e: unknown) => e);
        expect(dup).toBeInstanceOf(NetlinkError);
        expect((dup as NetlinkError).code).toBe('EEXIST');
        const missing = await setLink(nl, 'nope', { up: true }).catch((e: unknown) => e);
        expect((missing as NetlinkError).code).toBe('ENODEV');
        expect(nl.counters.writes).toBe(2); // the failed lookup wrote nothing
      } finally {
        nl.close();
      }
      expect(() => Rtnl.open({ netns: '/run/netns/does-not-exist' })).toThrow(NetnsError);
      // A file that is not a namespace: setns refuses, and we are still in our own namespace.
      expect(() => Rtnl.open({ netns: '/proc/self/status' })).toThrow(NetnsError);
      const own = Rtnl.open();
      try {
        expect((await listLinks(own)).length).toBeGreaterThan(0);
      } finally {
        own.close();
      }
    });
  });
});
