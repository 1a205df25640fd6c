import { describe, expect, it } from 'vitest';
import {
  InvalidAddressError,
  Rtnl,
  ZERO_MAC,
  addAddress,
  addRoute,
  appendFdb,
  createVeth,
  createVxlan,
  deleteAddress,
  deleteFdb,
  deleteNeighbour,
  deleteRoute,
  linkIndex,
  listAddresses,
  listFdb,
  listNeighbours,
  listRoutes,
  setLink,
  setNeighbour,
  withNetns,
} from '../src/index.js';
import { ipJson, netnsLifecycle } from './helpers.js';

netnsLifecycle();

describe('addresses, routes, neighbours and FDB entries over rtnetlink', () => {
  it('adds and removes addresses (IPv4 and IPv6) and lists them', async () => {
    await withNetns(['addr'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVeth(nl, { name: 'a0', peer: { name: 'a1' } });
        await addAddress(nl, 'a0', '10.203.0.1/24');
        await addAddress(nl, 'a0', 'fd00:203::1/64', { nodad: true });
        const shown = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(ns, [
          'addr',
          'show',
          'a0',
        ]);
        const local = shown[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
        expect(local).toEqual(expect.arrayContaining(['10.203.0.1/24', 'fd00:203::1/64']));
        const index = await linkIndex(nl, 'a0');
        const ours = (await listAddresses(nl, { index })).map((a) => a.cidr);
        expect(ours).toEqual(expect.arrayContaining(['10.203.0.1/24', 'fd00:203::1/64']));
        await deleteAddress(nl, 'a0', '10.203.0.1/24');
        expect((await listAddresses(nl, { index, family: 4 })).map((a) => a.cidr)).toEqual([]);
      } finally {
        nl.close();
      }
    });
  });

  it('programs onlink, link-scope and protocol-marked routes, replaces and deletes them', async () => {
    await withNetns(['route'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVeth(nl, { name: 'r0', peer: { name: 'r1' } });
        await setLink(nl, 'r0', { up: true });
        await setLink(nl, 'r1', { up: true });
        await addAddress(nl, 'r0', '10.204.0.1/24');
        // Gateway outside every connected prefix: only accepted with onlink.
        await addRoute(nl, {
          dst: '10.244.2.0/24',
          gateway: '10.244.2.0',
          dev: 'r0',
          onlink: true,
          protocol: 77,
        });
        await addRoute(nl, { dst: '10.244.3.0/24', dev: 'r1', scope: 'link', protocol: 77 });
        await addRoute(nl, {
          dst: '10.244.4.7/24',
          gateway: '10.204.0.9',
          protocol: 77,
          metric: 5,
        });

        const shown = await ipJson(ns, ['route', 'show', 'proto', '77']);
        expect(shown).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              dst: '10.244.2.0/24',
              gateway: '10.244.2.0',
              dev: 'r0',
              flags: ['onlink'],
            }),
            expect.objectContaining({ dst: '10.244.3.0/24', dev: 'r1', scope: 'link' }),
            expect.objectContaining({ dst: '10.244.4.0/24', gateway: '10.204.0.9', metric: 5 }),
          ]),
        );
        const ours = await listRoutes(nl, { family: 4, protocol: 77 });
        expect(ours).toHaveLength(3);
        expect(ours.find((r) => r.dst === '10.244.2.0/24')).toMatchObject({
          onlink: true,
          gateway: '10.244.2.0',
          protocol: 77,
        });
        expect(ours.find((r) => r.dst === '10.244.3.0/24')).toMatchObject({
          scope: 253,
          onlink: false,
        });

        await addRoute(
          nl,
          { dst: '10.244.2.0/24', gateway: '10.204.0.2', protocol: 77 },
          { replace: true },
        );
        const replaced = await ipJson(ns, ['route', 'show', '10.244.2.0/24']);
        expect(replaced).toEqual([expect.objectContaining({ gateway: '10.204.0.2', dev: 'r0' })]);

        await deleteRoute(nl, { dst: '10.244.3.0/24', dev: 'r1', protocol: 77 });
        expect(await ipJson(ns, ['route', 'show', '10.244.3.0/24'])).toEqual([]);
        // The kernel's own prefix route is listed but carries proto kernel (2), not ours.
        const all = await listRoutes(nl, { family: 4 });
        expect(all.find((r) => r.dst === '10.204.0.0/24')).toMatchObject({
          protocol: 2,
          scope: 253,
        });
      } finally {
        nl.close();
      }
    });
  });

  it('sets, lists and deletes permanent neighbours', async () => {
    await withNetns(['neigh'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVeth(nl, { name: 'n0', peer: { name: 'n1' } });
        await setNeighbour(nl, { dev: 'n0', ip: '10.244.5.0', mac: '0a:00:00:00:05:00' });
        await setNeighbour(nl, { dev: 'n0', ip: '10.244.5.0', mac: '0a:00:00:00:05:01' }); // replace
        await setNeighbour(nl, { dev: 'n0', ip: 'fd00:205::1', mac: '0a:00:00:00:05:02' });
        const shown = await ipJson(ns, ['neigh', 'show', 'dev', 'n0']);
        expect(shown).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              dst: '10.244.5.0',
              lladdr: '0a:00:00:00:05:01',
              state: ['PERMANENT'],
            }),
            expect.objectContaining({ dst: 'fd00:205::1', lladdr: '0a:00:00:00:05:02' }),
          ]),
        );
        const index = await linkIndex(nl, 'n0');
        const ours = await listNeighbours(nl, { index });
        expect(ours).toEqual(
          expect.arrayContaining([
            { index, ip: '10.244.5.0', family: 4, mac: '0a:00:00:00:05:01', permanent: true },
          ]),
        );
        await deleteNeighbour(nl, { dev: 'n0', ip: '10.244.5.0' });
        expect(await ipJson(ns, ['-4', 'neigh', 'show', 'dev', 'n0'])).toEqual([]);
      } finally {
        nl.close();
      }
    });
  });

  it('appends VXLAN FDB entries (several VTEPs per MAC), lists and deletes one', async () => {
    await withNetns(['fdb'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await createVxlan(nl, { name: 'vx0', vni: 7, port: 8472, learning: false });
        await appendFdb(nl, { dev: 'vx0', mac: ZERO_MAC, dst: '10.205.0.2' });
        await appendFdb(nl, { dev: 'vx0', mac: ZERO_MAC, dst: '10.205.0.3' });
        await appendFdb(nl, { dev: 'vx0', mac: '0a:00:00:00:06:02', dst: '10.205.0.2' });
        const { stdout } = await ns.exec(['bridge', '-j', 'fdb', 'show', 'dev', 'vx0']);
        const shown = JSON.parse(stdout) as {
          mac: string;
          dst?: string;
          flags: string[];
          state: string;
        }[];
        const pairs = shown.filter((e) => e.dst).map((e) => `${e.mac}>${e.dst}`);
        expect(pairs.sort()).toEqual([
          '00:00:00:00:00:00>10.205.0.2',
          '00:00:00:00:00:00>10.205.0.3',
          '0a:00:00:00:06:02>10.205.0.2',
        ]);
        const index = await linkIndex(nl, 'vx0');
        const ours = (await listFdb(nl, { index })).filter((e) => e.dst);
        expect(ours).toHaveLength(3);
        expect(ours.every((e) => e.self && e.permanent)).toBe(true);

        await deleteFdb(nl, { dev: 'vx0', mac: ZERO_MAC, dst: '10.205.0.2' });
        const left = (await listFdb(nl, { index }))
          .filter((e) => e.dst)
          .map((e) => `${e.mac}>${e.dst}`);
        expect(left.sort()).toEqual([
          '00:00:00:00:00:00>10.205.0.3',
          '0a:00:00:00:06:02>10.205.0.2',
        ]);
      } finally {
        nl.close();
      }
    });
  });

  it('rejects malformed input with a typed error before sending anything', async () => {
    await withNetns(['bad'], async (ns) => {
      const nl = Rtnl.open({ netns: ns });
      try {
        await expect(addRoute(nl, { dst: '10.0.0.0/33' })).rejects.toBeInstanceOf(
          InvalidAddressError,
        );
        await expect(
          addRoute(nl, { dst: '10.0.0.0/24', gateway: 'fd00::1' }),
        ).rejects.toBeInstanceOf(InvalidAddressError);
        await expect(
          setNeighbour(nl, { dev: 'lo', ip: '10.0.0.1', mac: 'zz' }),
        ).rejects.toBeInstanceOf(InvalidAddressError);
        await expect(
          appendFdb(nl, { dev: 'lo', mac: ZERO_MAC, dst: 'nope' }),
        ).rejects.toBeInstanceOf(InvalidAddressError);
        expect(nl.counters.writes).toBe(0);
      } finally {
        nl.close();
      }
    });
  });
});
