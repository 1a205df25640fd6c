import { describe, expect, it } from 'vitest';
import type { CniError } from '../src/index.js';
import {
  DecodingFailureError,
  IncompatibleVersionError,
  SUPPORTED_VERSIONS,
  convertResult,
  parseResult,
  resultFormat,
  type ResultFormat,
} from '../src/index.js';

// One result with everything each format can carry, written by hand in all three formats, plus
// the hand-written forms after each lossy trip.
const sandbox = '/run/netns/pod1';
const DNS = {
  nameservers: ['10.96.0.10'],
  domain: 'cluster.local',
  search: ['svc.cluster.local'],
  options: ['ndots:5'],
};
// Routes keep every field in 1.x and 0.4 alike: libcni's Route type is shared by both.
const ROUTES = [
  { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 5, table: 100, scope: 0 },
  { dst: '192.168.0.0/16' },
  { dst: '::/0', gw: 'fd00:1::1' },
];

const full1x = (v: string): object => ({
  cniVersion: v,
  interfaces: [
    { name: 'cni0', mac: '0a:58:0a:01:00:01' },
    {
      name: 'eth0',
      mac: '0a:58:0a:01:00:05',
      mtu: 1450,
      sandbox,
      socketPath: '/run/vhost.sock',
      pciID: '0000:00:1f.6',
    },
  ],
  ips: [
    { address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 1 },
    { address: '10.1.0.6/24', interface: 1 },
    { address: 'fd00:1::5/64', gateway: 'fd00:1::1', interface: 1 },
  ],
  routes: ROUTES,
  dns: DNS,
});

// 1.x -> 0.4 drops interface mtu/socketPath/pciID and adds ips[].version (routes stay as they are).
const full040 = (v: string): object => ({
  cniVersion: v,
  interfaces: [
    { name: 'cni0', mac: '0a:58:0a:01:00:01' },
    { name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox },
  ],
  ips: [
    { version: '4', address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 1 },
    { version: '4', address: '10.1.0.6/24', interface: 1 },
    { version: '6', address: 'fd00:1::5/64', gateway: 'fd00:1::1', interface: 1 },
  ],
  routes: ROUTES,
  dns: DNS,
});

// -> 0.1/0.2 keeps the first address per family and the routes of each family as {dst, gw}.
const full020 = (v: string): object => ({
  cniVersion: v,
  ip4: {
    ip: '10.1.0.5/24',
    gateway: '10.1.0.1',
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/16' }],
  },
  ip6: { ip: 'fd00:1::5/64', gateway: 'fd00:1::1', routes: [{ dst: '::/0', gw: 'fd00:1::1' }] },
  dns: DNS,
});

// What the 1.x result looks like after a trip through 0.4 (interface extras gone).
const full1xVia040 = (v: string): object => {
  const r = full040(v) as { ips: { version?: string }[] };
  return { ...r, ips: r.ips.map(({ version: _v, ...ip }) => ip) };
};

// What a 1.x or 0.4 result looks like after a trip through 0.2: no interfaces, one address per
// family, routes without extras.
const via020 = (v: string, withVersion: boolean): object => ({
  cniVersion: v,
  ips: [
    { ...(withVersion ? { version: '4' } : {}), address: '10.1.0.5/24', gateway: '10.1.0.1' },
    { ...(withVersion ? { version: '6' } : {}), address: 'fd00:1::5/64', gateway: 'fd00:1::1' },
  ],
  routes: [
    { dst: '0.0.0.0/0', gw: '10.1.0.1' },
    { dst: '192.168.0.0/16' },
    { dst: '::/0', gw: 'fd00:1::1' },
  ],
  dns: DNS,
});

const sample = (v: string): object =>
  ({ '1.x': full1x, '0.4': full040, '0.2': full020 })[resultFormat(v)](v);

/** The hand-written expectation for A -> B -> A. */
function expectedRoundTrip(a: string, b: string): object {
  const fa: ResultFormat = resultFormat(a);
  const fb: ResultFormat = resultFormat(b);
  if (fb === '0.2' && fa !== '0.2') return via020(a, fa === '0.4');
  if (fa === '1.x' && fb === '0.4') return full1xVia040(a);
  return sample(a);
}

describe('result conversion', () => {
  it('has the three formats at the right versions', () => {
    expect(SUPPORTED_VERSIONS.map(resultFormat)).toEqual([
      '0.2',
      '0.2',
      '0.4',
      '0.4',
      '0.4',
      '1.x',
      '1.x',
    ]);
  });

  for (const a of SUPPORTED_VERSIONS) {
    for (const b of SUPPORTED_VERSIONS) {
      it(`round trip ${a} -> ${b} -> ${a}`, () => {
        const there = convertResult(sample(a), b);
        expect(there).toEqual(directExpectation(a, b));
        expect(convertResult(there, a)).toEqual(expectedRoundTrip(a, b));
      });
    }
  }

  it('1.x -> 0.4 drops mtu/socketPath/pciID and adds ips[].version', () => {
    expect(convertResult(full1x('1.1.0'), '0.4.0')).toEqual(full040('0.4.0'));
  });

  it('0.2 -> 1.1 lifts ip4/ip6 into ips and collects the routes', () => {
    expect(convertResult(full020('0.2.0'), '1.1.0')).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { address: 'fd00:1::5/64', gateway: 'fd00:1::1' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1' },
        { dst: '192.168.0.0/16' },
        { dst: '::/0', gw: 'fd00:1::1' },
      ],
      dns: DNS,
    });
  });

  it('a result without addresses cannot become 0.2.0 (code 1 naming the version)', () => {
    const err = (() => {
      try {
        convertResult({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }] }, '0.2.0');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IncompatibleVersionError);
    expect((err as CniError).code).toBe(1);
    expect((err as CniError).message).toContain('0.2.0');
  });

  it('takes a result without cniVersion to be the given (config) version', () => {
    const r = parseResult({ ips: [{ version: '4', address: '10.0.0.2/24' }] }, '0.4.0');
    expect(r).toEqual({ cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }] });
    expect(() => parseResult({ ips: [] })).toThrow(DecodingFailureError);
  });

  it('names the offending field and value', () => {
    expect(() => parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.300/24' }] })).toThrow(
      /result\.ips\[0\]\.address: expected an address in CIDR form.*"10\.0\.0\.300\/24"/,
    );
    expect(() =>
      parseResult({ cniVersion: '0.4.0', ips: [{ version: '6', address: '10.0.0.3/24' }] }),
    ).toThrow(/result\.ips\[0\]\.version: expected "4" to match address 10\.0\.0\.3\/24, got "6"/);
    expect(() => parseResult({ cniVersion: '1.0.0', interfaces: [{ mac: 'x' }] })).toThrow(
      /result\.interfaces\[0\]\.name: expected a non-empty string, got undefined/,
    );
    expect(() => parseResult({ cniVersion: '0.2.0', ip4: { ip: 'fd00::1/64' } })).toThrow(
      /result\.ip4\.ip: expected an IPv4 address/,
    );
    expect(() => parseResult({ cniVersion: '9.9.9' })).toThrow(IncompatibleVersionError);
  });
});

/** A -> B directly, by hand: B's own sample when A carries at least as much, else the loss. */
function directExpectation(a: string, b: string): object {
  const fa = resultFormat(a);
  const fb = resultFormat(b);
  if (fa === '0.2' && fb !== '0.2') return via020(b, fb === '0.4');
  if (fa === '0.4' && fb === '1.x') return full1xVia040(b);
  return sample(b);
}
