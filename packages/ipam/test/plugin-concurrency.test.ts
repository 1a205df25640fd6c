import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOST_LOCAL,
  type PluginRun,
  cniBinDir,
  snapshot,
  startPlugin,
  tempDir,
} from './helpers.js';

let root: ReturnType<typeof tempDir>;
let plugin: string;

beforeAll(() => {
  root = tempDir('conc');
  plugin = join(cniBinDir(root.path), 'switchyard-ipam');
});
afterAll(() => root.cleanup());

function conf(name: string, ranges: object[][]): object {
  return {
    cniVersion: '1.0.0',
    name,
    type: 'bridge',
    ipam: { type: 'switchyard-ipam', dataDir: root.path, ranges },
  };
}
const addresses = (r: PluginRun): string[] =>
  (r.json as { ips: { address: string }[] }).ips.map((i) => i.address.split('/')[0]!);
const addressFiles = (dir: string): string[] =>
  Object.keys(snapshot(dir)).filter((f) => !['lock'].includes(f) && !f.startsWith('last_'));

describe('switchyard-ipam under concurrency', () => {
  it(
    '200 concurrent ADD processes get 200 distinct addresses per family; 200 concurrent DELs free them all',
    { timeout: 180_000 },
    async () => {
      const config = conf('conc', [[{ subnet: '10.70.0.0/23' }], [{ subnet: 'fd00:70::/64' }]]);
      const ids = Array.from({ length: 200 }, (_, i) => `pod-${i}`);
      const adds = await Promise.all(
        ids.map((id) => startPlugin(plugin, 'ADD', config, { containerId: id }).done),
      );
      for (const r of adds) expect(r.status, r.stdout).toBe(0);
      const dir = join(root.path, 'conc');
      const files = snapshot(dir);
      const v4 = new Set<string>();
      const v6 = new Set<string>();
      adds.forEach((r, i) => {
        const [a4, a6] = addresses(r);
        v4.add(a4!);
        v6.add(a6!);
        expect(files[a4!]).toBe(`${ids[i]}\r\neth0`);
        expect(files[a6!]).toBe(`${ids[i]}\r\neth0`);
      });
      expect(v4.size).toBe(200);
      expect(v6.size).toBe(200);
      expect(addressFiles(dir)).toHaveLength(400);
      // Half the DELs through host-local (cheap to start), half through us, all at once.
      const dels = await Promise.all(
        ids.map(
          (id, i) =>
            startPlugin(i % 2 ? HOST_LOCAL : plugin, 'DEL', config, { containerId: id }).done,
        ),
      );
      for (const r of dels) expect(r.status, r.stdout).toBe(0);
      expect(Object.keys(snapshot(dir))).toEqual([
        'last_reserved_ip.0',
        'last_reserved_ip.1',
        'lock',
      ]);
    },
  );
});

describe('switchyard-ipam and host-local on one dataDir', () => {
  it(
    'alternate and interleave without ever handing out an address twice',
    { timeout: 120_000 },
    async () => {
      const config = conf('mixed', [[{ subnet: '10.71.0.0/24' }], [{ subnet: 'fd00:71::/120' }]]);
      const tools = { hl: HOST_LOCAL, sy: plugin };
      const dir = join(root.path, 'mixed');
      const owner = new Map<string, string>();
      const record = (id: string, r: PluginRun): void => {
        expect(r.status, `${id}: ${r.stdout}`).toBe(0);
        for (const a of addresses(r)) {
          expect(owner.get(a), `${a} given to ${id} and ${owner.get(a)}`).toBeUndefined();
          owner.set(a, id);
        }
      };
      // Strict alternation: they share the round-robin cursor, so addresses come out in order.
      const sequence: string[] = [];
      for (let i = 0; i < 6; i++) {
        for (const tool of ['hl', 'sy'] as const) {
          const id = `${tool}-seq-${i}`;
          const r = await startPlugin(tools[tool], 'ADD', config, { containerId: id }).done;
          record(id, r);
          sequence.push(addresses(r)[0]!);
        }
      }
      expect(sequence).toEqual(Array.from({ length: 12 }, (_, i) => `10.71.0.${i + 2}`));
      // Interleaved: both tools at once, serialized only by the shared flock on <dataDir>/mixed/lock.
      const ids = Array.from({ length: 40 }, (_, i) => (i % 2 ? `hl-par-${i}` : `sy-par-${i}`));
      const runs = await Promise.all(
        ids.map(
          (id) =>
            startPlugin(id.startsWith('hl') ? HOST_LOCAL : plugin, 'ADD', config, {
              containerId: id,
            }).done,
        ),
      );
      runs.forEach((r, i) => record(ids[i]!, r));
      const files = snapshot(dir);
      for (const [address, id] of owner) expect(files[address]).toBe(`${id}\r\neth0`);
      expect(addressFiles(dir)).toHaveLength(owner.size);
      // Each releases what the other allocated.
      const all = [...new Set(owner.values())];
      const dels = await Promise.all(
        all.map(
          (id) =>
            startPlugin(id.startsWith('hl') ? plugin : HOST_LOCAL, 'DEL', config, {
              containerId: id,
            }).done,
        ),
      );
      for (const r of dels) expect(r.status, r.stdout).toBe(0);
      expect(Object.keys(snapshot(dir))).toEqual([
        'last_reserved_ip.0',
        'last_reserved_ip.1',
        'lock',
      ]);
    },
  );
});
