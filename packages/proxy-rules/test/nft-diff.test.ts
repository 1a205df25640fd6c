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
        ep(i === changed ? '10.245.0.1' : `10.246.${i >> 8}.${i & 255}`),
      ]),
    );
  }
  return model(services, slices);
};

describe('renderIncremental', () => {
  it('is empty when nothing changed', () => {
    const a = compile(many(20)).ruleset;
    const b = compile(many(20)).ruleset;
    expect(renderIncremental(a, b)).toEqual({ text: '', full: false, changed: [] });
  });

  it('one endpoint change touches only that service: its policy chain and the hairpin pair', () => {
    const tx = renderIncremental(compile(many(50)).ruleset, compile(many(50, 7)).ruleset);
    expect(tx.full).toBe(false);
    expect(tx.changed).toEqual(['default/s7/tcp/http']);
    const lines = tx.text.trim().split('\n');
    const hairpin = lines.filter((l) => / hairpin-v4 /.test(l));
    expect(hairpin).toEqual([
      'delete element inet switchyard-proxy hairpin-v4 { 10.246.0.7 . 10.246.0.7 }',
      'add element inet switchyard-proxy hairpin-v4 { 10.245.0.1 . 10.245.0.1 }',
    ]);
    // everything else names only s7's policy chain: one flush, then its rules again
    const rest = lines.filter((l) => !hairpin.includes(l));
    for (const line of rest) expect(line).toMatch(/service-\w+-default\/s7\/tcp\/http/);
    expect(rest.filter((l) => l.startsWith('flush chain'))).toHaveLength(1);
    expect(rest.filter((l) => /^(add|delete) chain/.test(l))).toHaveLength(0);
  });

  it('a removed service deletes its map element before its chains', () => {
    const a = compile(many(3)).ruleset;
    const b = compile(
      model(
        [service('s0', { clusterIP: '10.96.0.0' })],
        [slice('s0', [ep('10.244.0.0'), ep('10.246.0.0')])],
      ),
    ).ruleset;
    const tx = renderIncremental(a, b);
    const lines = tx.text.trim().split('\n');
    const del = lines.findIndex(
      (l) => l.startsWith('delete element') && l.includes('10.96.0.1 . tcp . 80'),
    );
    const chainDel = lines.findIndex(
      (l) => l.startsWith('delete chain') && l.includes('default/s1/'),
    );
    expect(del).toBeGreaterThanOrEqual(0);
    expect(chainDel).toBeGreaterThan(del);
    expect(tx.changed).toEqual(['default/s1/tcp/http', 'default/s2/tcp/http']);
  });

  it('losing all endpoints swaps the dispatch element for a REJECT element', () => {
    const a = compile(many(1)).ruleset;
    const b = compile(model([service('s0', { clusterIP: '10.96.0.0' })], [])).ruleset;
    const text = renderIncremental(a, b).text;
    expect(text).toContain(
      'delete element inet switchyard-proxy service-ips-v4 { 10.96.0.0 . tcp . 80 }',
    );
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
    expect(tx.text).toMatch(
      /^add table inet switchyard-proxy\ndelete table inet switchyard-proxy\n/,
    );
  });
});
