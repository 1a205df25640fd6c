import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Rtnl,
  createNetns,
  createVeth,
  listLinks,
  sweepStaleNetns,
  type Netns,
} from '@switchyard/linux';
import { BatchedLinkDeleter } from '../src/agent/batched-link-deleter.js';

let node: Netns;
let pods: Netns[] = [];

beforeAll(async () => {
  await sweepStaleNetns();
  node = await createNetns('delnode');
  pods = await Promise.all(Array.from({ length: 20 }, () => createNetns('delpod')));
});

afterAll(async () => {
  for (const ns of [node, ...pods]) await ns?.delete();
});

describe('BatchedLinkDeleter', () => {
  it('deletes exactly the links asked for (with their pod ends), in batches, and reports absent ones', async () => {
    const nl = Rtnl.open({ netns: node });
    try {
      for (const [i, pod] of pods.entries()) {
        await createVeth(nl, { name: `h${i}`, peer: { name: 'eth0', netns: pod } });
      }
      const deleter = new BatchedLinkDeleter(nl);
      const writesBefore = nl.counters.writes;
      const results = await Promise.all([
        ...Array.from({ length: 15 }, (_, i) => deleter.delete(`h${i}`)),
        deleter.delete('missing0'),
      ]);
      expect(results).toEqual([...Array<boolean>(15).fill(true), false]);
      const left = (await listLinks(nl))
        .map((l) => l.name)
        .filter((n) => n !== 'lo')
        .sort();
      expect(left).toEqual(['h15', 'h16', 'h17', 'h18', 'h19']);
      // The pod ends went with their host ends; the others are untouched.
      const podLinks = await pods[0]!
        .exec(['ip', '-o', 'link', 'show', 'eth0'])
        .catch(() => undefined);
      expect(podLinks).toBeUndefined();
      await pods[19]!.exec(['ip', '-o', 'link', 'show', 'eth0']);
      // One group tag per link, but far fewer deletions than links.
      const deletions = nl.counters.writes - writesBefore - 15;
      expect(deletions).toBeGreaterThanOrEqual(1);
      expect(deletions).toBeLessThan(15);
    } finally {
      nl.close();
    }
  });
});
