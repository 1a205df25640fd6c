import { describe, expect, it } from 'vitest';
import { IpAddress, type Allocation } from '@switchyard/ipam';
import { findLeaks } from '../src/agent/leak-finder.js';
import { hostVethName } from '../src/plugin/host-veth-name.js';

const alloc = (ip: string, containerId: string, ifName = 'eth0'): Allocation => ({
  address: IpAddress.parse(ip),
  containerId,
  ifName,
});

describe('findLeaks', () => {
  const allocations = [
    alloc('10.0.0.2', 'live'),
    alloc('10.0.0.3', 'gone'),
    alloc('10.0.0.4', 'legacy', ''),
  ];
  const links = new Set([hostVethName('live', 'eth0')]);

  it('needs an allocation to stay orphaned for the grace period', () => {
    const since = new Map<string, number>();
    const scan = { allocations, links, podIps: undefined, graceMs: 1000 };
    expect(findLeaks({ ...scan, now: 0 }, since)).toEqual([]);
    expect(findLeaks({ ...scan, now: 999 }, since)).toEqual([]);
    expect(findLeaks({ ...scan, now: 1000 }, since).map((a) => a.containerId)).toEqual(['gone']);
  });

  it('forgets an orphan that came back and never touches ID-only (legacy) records', () => {
    const since = new Map<string, number>();
    findLeaks({ allocations, links, podIps: undefined, now: 0, graceMs: 10 }, since);
    const withVeth = new Set([...links, hostVethName('gone', 'eth0')]);
    expect(
      findLeaks({ allocations, links: withVeth, podIps: undefined, now: 5, graceMs: 10 }, since),
    ).toEqual([]);
    // The clock restarts: 11 ms after the first sighting is not 10 ms after the second one.
    expect(
      findLeaks({ allocations, links, podIps: undefined, now: 11, graceMs: 10 }, since),
    ).toEqual([]);
    expect(
      findLeaks({ allocations, links, podIps: undefined, now: 21, graceMs: 10 }, since),
    ).toHaveLength(1);
  });

  it('keeps an address the API server gives to a pod on this node', () => {
    const since = new Map<string, number>();
    const scan = { allocations, links, podIps: new Set(['10.0.0.3']), graceMs: 0 };
    expect(findLeaks({ ...scan, now: 0 }, since)).toEqual([]);
    expect(findLeaks({ ...scan, now: 1 }, since)).toEqual([]);
  });
});
