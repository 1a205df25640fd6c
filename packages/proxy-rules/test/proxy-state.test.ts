import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { ModelError } from '../src/errors.js';
import type { EndpointSlice, Service } from '../src/model.js';
import { renderIncremental } from '../src/nft-diff.js';
import { renderFullSync } from '../src/nft-render.js';
import { ProxyRules } from '../src/proxy-state.js';
import { NODE, ep, model, service, slice } from './fixtures.js';

// Sorted commands, one map element per line (batches group elements in insertion order).
const lines = (text: string): string[] =>
  text
    .trim()
    .split('\n')
    .flatMap((l) => {
      const m = /^((?:add|delete) element \S+ \S+ \S+) \{ (.*) \}$/.exec(l);
      return m ? m[2]!.split(', ').map((e) => `${m[1]} ${e}`) : [l];
    })
    .sort();

function web(i: number, extra: Partial<Service['spec']> = {}): Service {
  return service(`web${i}`, { clusterIP: `10.96.0.${i}`, ...extra });
}

describe('ProxyRules (partial recompute)', () => {
  it('tracks a sequence of informer events exactly like a full compile', () => {
    const state = new ProxyRules(NODE);
    const services = new Map<string, Service>();
    const slices = new Map<string, EndpointSlice>();
    const upsertSvc = (s: Service): void => {
      services.set(s.metadata.name, s);
      state.upsertService(s);
    };
    const upsertSlice = (s: EndpointSlice): void => {
      slices.set(s.metadata.name, s);
      state.upsertEndpointSlice(s);
    };
    let prev = compile(model([], [])).ruleset;
    const steps: (() => void)[] = [
      () => {
        for (let i = 1; i <= 5; i++) {
          upsertSvc(web(i));
          upsertSlice(slice(`web${i}`, [ep(`10.244.1.${i}`), ep(`10.244.2.${i}`)]));
        }
      },
      () => upsertSlice(slice('web3', [ep('10.244.9.9', { node: 'node-a' })])),
      () => upsertSvc(web(2, { sessionAffinity: 'ClientIP', internalTrafficPolicy: 'Local' })),
      () => {
        services.delete('web4');
        state.deleteService('default', 'web4');
      },
      () => {
        slices.delete('web5-IPv4');
        state.deleteEndpointSlice('default', 'web5-IPv4');
      },
    ];
    for (const step of steps) {
      step();
      const commit = state.commit();
      const full = compile(model([...services.values()], [...slices.values()]));
      expect(lines(renderFullSync(commit.ruleset))).toEqual(lines(renderFullSync(full.ruleset)));
      if (!commit.transaction.full) {
        expect(lines(commit.transaction.text)).toEqual(
          lines(renderIncremental(prev, full.ruleset).text),
        );
      }
      prev = full.ruleset;
    }
  });

  it('the first commit is a full sync; a commit without changes is empty', () => {
    const state = new ProxyRules(NODE);
    state.upsertService(web(1));
    expect(state.commit().transaction.full).toBe(true);
    expect(state.commit().transaction.text).toBe('');
  });

  it('one endpoint change among many touches only that service', () => {
    const state = new ProxyRules(NODE);
    for (let i = 1; i <= 200; i++) {
      state.upsertService(web(i % 250, { clusterIP: `10.96.${i >> 8}.${i & 255}` }));
    }
    state.commit();
    state.upsertEndpointSlice(slice('web7', [ep('10.244.7.7')]));
    const c = state.commit();
    expect(c.transaction.changed).toEqual(['default/web7/tcp/http']);
    expect(c.transaction.text).toContain('10.96.0.7 . tcp . 80');
  });

  it('keeps the hairpin pair of an endpoint while another service still uses it', () => {
    const state = new ProxyRules(NODE);
    state.upsertService(web(1));
    state.upsertService(web(2));
    state.upsertEndpointSlice(slice('web1', [ep('10.244.1.5', { node: 'node-a' })]));
    state.upsertEndpointSlice(slice('web2', [ep('10.244.1.5', { node: 'node-a' })]));
    state.commit();
    state.deleteService('default', 'web1');
    expect(state.commit().transaction.text).not.toContain('hairpin');
    state.deleteService('default', 'web2');
    expect(state.commit().transaction.text).toContain(
      'delete element inet switchyard-proxy hairpin-v4 { 10.244.1.5 . 10.244.1.5 }',
    );
  });

  it('a bad node is refused and the previous one kept', () => {
    const state = new ProxyRules(NODE);
    state.upsertService(web(1));
    state.commit();
    expect(() => state.setNode({ ...NODE, clusterCIDRs: ['bad'] })).toThrow(ModelError);
    expect(state.commit().transaction.text).toBe('');
  });
});
