import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { formatTrace } from '../src/format-trace.js';
import { healthCheckResponse } from '../src/health-checks.js';
import { trace } from '../src/trace.js';
import { ep, model, pod, service, slice } from './fixtures.js';

describe('formatTrace', () => {
  it('lists each outcome with the rules that led there, as nft prints them', () => {
    const m = model(
      [service('web', { clusterIP: '10.96.0.10' })],
      [slice('web', [ep('10.244.1.5'), ep('10.244.2.5')])],
    );
    const text = formatTrace(trace(compile(m).ruleset, pod('10.244.3.3', '10.96.0.10', 80)));
    const lines = text.split('\n');
    expect(lines[0]).toBe('packet tcp 10.244.3.3 -> 10.96.0.10:80 from pod');
    expect(lines[1]).toBe('2 possible outcomes:');
    expect(text).toContain('1. endpoint 10.244.1.5:8080 (client address kept)');
    expect(text).toContain('2. endpoint 10.244.2.5:8080 (client address kept)');
    expect(text).toMatch(
      /services: ip daddr \. meta l4proto \. th dport vmap @service-ips-v4 {3}\[@service-ips-v4 has 10\.96\.0\.10 \. tcp \. 80\]/,
    );
    expect(text).toContain(
      'pick-v4-2: dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @endpoints-v4   [random choice 1 of 2: @endpoints-v4 has 10.96.0.10 . tcp . 80 . 0]',
    );
  });

  it('says REJECT in words a user understands', () => {
    const m = model([service('web', { clusterIP: '10.96.0.10' })], []);
    expect(formatTrace(trace(compile(m).ruleset, pod('10.244.3.3', '10.96.0.10', 80)))).toContain(
      'REJECT (the client sees connection refused)',
    );
  });
});

describe('healthCheckResponse', () => {
  it('answers 200 with the local endpoint count, 503 when there is none', () => {
    const check = { namespace: 'default', name: 'lb', nodePort: 32000, localEndpoints: 2 };
    expect(healthCheckResponse(check)).toEqual({
      status: 200,
      body: '{"service":{"namespace":"default","name":"lb"},"localEndpoints":2}',
    });
    expect(healthCheckResponse({ ...check, localEndpoints: 0 }).status).toBe(503);
  });
});
