import { describe, expect, it } from 'vitest';
import { planChanges, planSize, type ActualState, type DesiredState } from '../src/index.js';

const device = {
  name: 'switchyard.1',
  vni: 1,
  port: 8472,
  local: '172.18.0.2',
  dev: 'eth0',
  mtu: 1450,
  mac: '0a:00:00:00:00:0a',
  addresses: ['10.244.0.0/32'],
};
const desired: DesiredState = {
  device,
  routes: [
    { dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'switchyard.1', onlink: true },
    { dst: '10.244.2.0/24', gateway: '172.18.0.4', onlink: false },
  ],
  neighbours: [{ dev: 'switchyard.1', ip: '10.244.1.0', mac: '0a:00:00:00:00:0b' }],
  fdb: [{ dev: 'switchyard.1', mac: '0a:00:00:00:00:0b', dst: '172.18.0.3' }],
  peers: [],
  skipped: [],
};
const inSync: ActualState = {
  device: { ...device, up: true, learning: false },
  routes: [
    desired.routes[0]!,
    // The kernel reports the device it resolved for a direct route; that is not a difference.
    { ...desired.routes[1]!, dev: 'eth0' },
  ],
  neighbours: [...desired.neighbours],
  fdb: [...desired.fdb],
};

describe('planChanges', () => {
  it('is empty when the kernel matches', () => {
    expect(planSize(planChanges(desired, inSync))).toBe(0);
  });

  it('creates everything from empty', () => {
    const plan = planChanges(desired, { device: undefined, routes: [], neighbours: [], fdb: [] });
    expect(plan.device.action).toBe('create');
    expect(planSize(plan)).toBe(1 + 1 + 2 + 1 + 1);
  });

  it('removes what is ours and no longer wanted, and replaces what changed', () => {
    const actual: ActualState = {
      ...inSync,
      routes: [
        { ...desired.routes[0]!, gateway: '10.244.1.1' },
        { ...desired.routes[1]!, dev: 'eth0' },
        { dst: '10.244.7.0/24', gateway: '10.244.7.0', dev: 'switchyard.1', onlink: true },
      ],
      neighbours: [
        ...desired.neighbours,
        { dev: 'switchyard.1', ip: '10.244.7.0', mac: '0a:00:00:00:00:07' },
      ],
      fdb: [...desired.fdb, { dev: 'switchyard.1', mac: '0a:00:00:00:00:07', dst: '172.18.0.7' }],
    };
    const plan = planChanges(desired, actual);
    expect(plan.device).toEqual({ action: 'none' });
    expect(plan.setRoutes).toEqual([desired.routes[0]]);
    expect(plan.deleteRoutes.map((r) => r.dst)).toEqual(['10.244.7.0/24']);
    expect(plan.deleteNeighbours.map((n) => n.ip)).toEqual(['10.244.7.0']);
    expect(plan.deleteFdb.map((e) => e.dst)).toEqual(['172.18.0.7']);
    expect(planSize(plan)).toBe(4);
  });

  it('recreates the device when a fixed VXLAN parameter differs, and re-adds what lived on it', () => {
    const plan = planChanges(desired, { ...inSync, device: { ...inSync.device!, vni: 2 } });
    expect(plan.device.action).toBe('recreate');
    expect(plan.setRoutes.map((r) => r.dst)).toEqual(['10.244.1.0/24']); // the direct route survives
    expect(plan.setNeighbours).toHaveLength(1);
    expect(plan.addFdb).toHaveLength(1);
    expect(plan.deleteRoutes).toEqual([]);
  });

  it('updates MTU in place and deletes the device when VXLAN is no longer wanted', () => {
    const mtu = planChanges(desired, { ...inSync, device: { ...inSync.device!, mtu: 1400 } });
    expect(mtu.device).toEqual({ action: 'update', name: 'switchyard.1', changes: { mtu: 1450 } });
    const direct = planChanges(
      { ...desired, device: undefined, routes: [desired.routes[1]!], neighbours: [], fdb: [] },
      inSync,
    );
    expect(direct.device).toEqual({ action: 'delete', name: 'switchyard.1' });
    // Routes through the deleted device vanish with it; only the survivor is compared.
    expect(direct.deleteRoutes).toEqual([]);
    expect(direct.deleteNeighbours).toEqual([]);
  });
});
