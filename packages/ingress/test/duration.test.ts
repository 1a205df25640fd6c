import { describe, expect, it } from 'vitest';
import { compileHttpRoutes } from '../src/compile-httproute.js';
import { parseGatewayDuration } from '../src/duration.js';
import { httpRoute } from './fixtures.js';

describe('Gateway API durations', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1h2m3s4ms', 3_723_004],
  ])('%s = %i ms', (v, ms) => {
    expect(parseGatewayDuration(v)).toBe(ms);
  });

  it.each(['', '1', '1.5s', '-1s', '1d', '123456s', '1s1s1s1s1s', ' 1s'])('rejects %j', (v) => {
    expect(parseGatewayDuration(v)).toBeUndefined();
  });

  it('HTTPRoute timeouts become route options; bad or inconsistent ones reject the rule', () => {
    const ok = compileHttpRoutes([
      httpRoute('t', {
        rules: [
          {
            timeouts: { request: '2s', backendRequest: '500ms' },
            backendRefs: [{ name: 's', port: 80 }],
          },
        ],
      }),
    ]);
    expect(ok.routes[0]?.action.options).toEqual({
      requestTimeoutMs: 2000,
      backendRequestTimeoutMs: 500,
    });
    const bad = compileHttpRoutes([
      httpRoute('b', {
        rules: [
          { timeouts: { request: 'soon' }, backendRefs: [{ name: 's', port: 80 }] },
          {
            timeouts: { request: '1s', backendRequest: '2s' },
            backendRefs: [{ name: 's', port: 80 }],
          },
        ],
      }),
    ]);
    expect(bad.routes).toEqual([]);
    expect(bad.statuses[0]?.messages).toEqual([
      expect.stringContaining('invalid duration "soon"'),
      expect.stringContaining('backendRequest must not exceed request'),
    ]);
  });
});
