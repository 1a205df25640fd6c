import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { renderIncremental } from '../src/nft-diff.js';
import { ep, model, service, slice } from './fixtures.js';

const many = (n: number, changed?: number): ReturnType<typeof model> => {
  const services = [];
  const slices = [];
  for (let i = 0; i < n; i++) {
    services.push(service(`s${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}` }));
    slices.push(
      slice(`s${i}`, [
        ep(`10.244.${i >> 8}.${i & 255}`),
        // on this node, so it is in the hairpin set too
        ep(i === changed ? '10.245.0.1' : `10.246.${i >> 8}.${i & 255}`, { node: 'node-a' }),
      ]),
    );
  }
  return model(services, slices);
};

describe('renderIncremental', () => {
  it('is empty when nothing changed', () => {
    const a = compile(many(20)).ruleset;
    const b = compile(many(20)).ruleset;
    expect(renderIncremental(a, b)).toEqual({ text: '', full: false, changed: [], elements: [] });
  });

  it('one endpoint change touches only that service: its endpoint-map element and the hairpin pair', () => {
    const tx = renderIncremental(compile(many(50)).ruleset, compile(many(50, 7)).ruleset);
    expect(tx.full).toBe(false);
    expect(tx.changed).toEqual(['default/s7/tcp/http']);
    expect(tx.text.trim().split('\n')).toEqual([
      'delete element inet switchyard-proxy endpoints-v4 { 10.96.0.7 . tcp . 80 . 1 }',
      'delete element inet switchyard-proxy hairpin-v4 { 10.246.0.7 . 10.246.0.7 }',
      'add element inet switchyard-proxy endpoints-v4 { 10.96.0.7 . tcp . 80 . 1 : 10.245.0.1 . 8080 }',
      'add element inet switchyard-proxy hairpin-v4 { 10.245.0.1 . 10.245.0.1 }',
    ]);
    // The same four commands in structured form, in the same order (what goes over netlink).
    const v4 = (value: string) => ({ type: 'ipv4_addr', value }) as const;
    const key = [
      v4('10.96.0.7'),
      { type: 'inet_proto', value: 6 },
      { type: 'inet_service', value: 80 },
      { type: 'integer', value: 1 },
    ];
    expect(tx.elements).toEqual([
      { op: 'delete', set: 'endpoints-v4', elements: [{ key }] },
      {
        op: 'delete',
        set: 'hairpin-v4',
        elements: [{ key: [v4('10.246.0.7'), v4('10.246.0.7')] }],
      },
      {
        op: 'add',
        set: 'endpoints-v4',
        elements: [{ key, data: [v4('10.245.0.1'), { type: 'inet_service', value: 8080 }] }],
      },
      { op: 'add', set: 'hairpin-v4', elements: [{ key: [v4('10.245.0.1'), v4('10.245.0.1')] }] },
    ]);
  });

  it('a removed service and an endpoint count change move map elements only', () => {
    const a = compile(many(3)).ruleset;
    const b = compile(
      model(
        [service('s0', { clusterIP: '10.96.0.0' })],
        [slice('s0', [ep('10.244.0.0'), ep('10.246.0.0'), ep('10.247.0.0')])],
      ),
    ).ruleset;
    const tx = renderIncremental(a, b);
    const lines = tx.text.trim().split('\n');
    expect(lines.every((l) => /^(add|delete) element /.test(l))).toBe(true);
    expect(tx.text).toMatch(
      /^delete element inet switchyard-proxy service-ips-v4 \{ 10\.96\.0\.0 \. tcp \. 80, 10\.96\.0\.1 \. tcp \. 80, 10\.96\.0\.2 \. tcp \. 80 \}$/m,
    );
    expect(lines).toContain(
      'add element inet switchyard-proxy service-ips-v4 { 10.96.0.0 . tcp . 80 : goto pick-v4-3 }',
    );
    // s0's first two endpoints keep their slots: only the third is new
    expect(lines).toContain(
      'add element inet switchyard-proxy endpoints-v4 { 10.96.0.0 . tcp . 80 . 2 : 10.247.0.0 . 8080 }',
    );
    expect(tx.changed).toEqual([
      'default/s0/tcp/http',
      'default/s1/tcp/http',
      'default/s2/tcp/http',
    ]);
  });

  it('a removed service with chains of its own deletes its map element before them', () => {
    const affine = (i: number) =>
      service(`s${i}`, { clusterIP: `10.96.0.${i}`, sessionAffinity: 'ClientIP' });
    const a = compile(
      model(
        [affine(0), affine(1)],
        [slice('s0', [ep('10.244.0.0')]), slice('s1', [ep('10.244.0.1')])],
      ),
    ).ruleset;
    const b = compile(model([affine(0)], [slice('s0', [ep('10.244.0.0')])])).ruleset;
    const tx = renderIncremental(a, b);
    // Chains change too: no structured element-only form, so the whole text goes to nft.
    expect(tx.elements).toBeUndefined();
    const lines = tx.text.trim().split('\n');
    const del = lines.findIndex(
      (l) => l.startsWith('delete element') && l.includes('10.96.0.1 . tcp . 80'),
    );
    const chainDel = lines.findIndex(
      (l) => l.startsWith('delete chain') && l.includes('default/s1/'),
    );
    expect(del).toBeGreaterThanOrEqual(0);
    expect(chainDel).toBeGreaterThan(del);
  });

  it('losing all endpoints swaps the dispatch element for a REJECT element', () => {
    const a = compile(many(1)).ruleset;
    const b = compile(model([service('s0', { clusterIP: '10.96.0.0' })], [])).ruleset;
    const tx = renderIncremental(a, b);
    const text = tx.text;
    expect(text).toContain(
      'delete element inet switchyard-proxy service-ips-v4 { 10.96.0.0 . tcp . 80 }',
    );
    expect(tx.elements).toContainEqual({
      op: 'add',
      set: 'no-endpoint-services-v4',
      elements: [
        {
          key: [
            { type: 'ipv4_addr', value: '10.96.0.0' },
            { type: 'inet_proto', value: 6 },
            { type: 'inet_service', value: 80 },
          ],
          data: { kind: 'goto', chain: 'reject-chain' },
        },
      ],
    });
    expect(text).toContain(
      'add element inet switchyard-proxy no-endpoint-services-v4 { 10.96.0.0 . tcp . 80 : goto reject-chain }',
    );
  });

  it('a masquerade mark change replaces the whole table', () => {
    const tx = renderIncremental(
      compile(many(2)).ruleset,
      compile(many(2), { masqueradeMark: 0x8000 }).ruleset,
    );
    expect(tx.full).toBe(true);
    expect(tx.elements).toBeUndefined();
    expect(tx.text).toMatch(
      /^add table inet switchyard-proxy\ndelete table inet switchyard-proxy\n/,
    );
  });
});
