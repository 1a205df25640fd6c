import { describe, expect, it } from 'vitest';
import { MetricError } from '../src/errors.js';
import { Registry, formatValue } from '../src/metrics.js';

describe('Registry text format 0.0.4', () => {
  it('renders counters and gauges with HELP, TYPE and escaped labels', () => {
    const r = new Registry();
    const c = r.counter('requests_total', 'Requests served.\nSecond line with \\.', ['path']);
    c.inc({ path: '/a' });
    c.inc({ path: '/a' }, 2);
    c.inc({ path: 'quote"back\\slash\nnl' });
    const g = r.gauge('temperature', 'Current temperature.');
    g.set({}, -1.5);
    expect(r.render()).toBe(
      [
        '# HELP requests_total Requests served.\\nSecond line with \\\\.',
        '# TYPE requests_total counter',
        'requests_total{path="/a"} 3',
        'requests_total{path="quote\\"back\\\\slash\\nnl"} 1',
        '# HELP temperature Current temperature.',
        '# TYPE temperature gauge',
        'temperature -1.5',
        '',
      ].join('\n'),
    );
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram('latency_seconds', 'Latency.', ['op'], [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe({ op: 'get' }, v);
    expect(r.render()).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{op="get",le="0.1"} 2',
        'latency_seconds_bucket{op="get",le="1"} 3',
        'latency_seconds_bucket{op="get",le="+Inf"} 4',
        'latency_seconds_sum{op="get"} 3.65',
        'latency_seconds_count{op="get"} 4',
        '',
      ].join('\n'),
    );
  });

  it('times async work into a histogram, even when it throws', async () => {
    const h = new Registry().histogram('op_seconds', 'Op.', [], [0.001, 10]);
    await h.time({}, () => new Promise((r) => setTimeout(r, 5)));
    await expect(h.time({}, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(h.render()).toMatch(/^op_seconds_bucket\{le="10"\} 2$/m);
    expect(h.render()).toMatch(/^op_seconds_count 2$/m);
  });

  it('shares a family registered twice with the same shape and refuses a different one', () => {
    const r = new Registry();
    const a = r.counter('x_total', 'X.', ['k']);
    expect(r.counter('x_total', 'X.', ['k'])).toBe(a);
    expect(() => r.gauge('x_total', 'X.', ['k'])).toThrow(MetricError);
    expect(() => r.counter('x_total', 'X.', ['other'])).toThrow(MetricError);
  });

  it('sums a counter over the series that match some labels', () => {
    const c = new Registry().counter('e_total', 'E.', ['informer', 'type']);
    c.inc({ informer: 'a', type: 'added' }, 2);
    c.inc({ informer: 'a', type: 'deleted' });
    c.inc({ informer: 'b', type: 'added' }, 5);
    expect(c.sum({ informer: 'a' })).toBe(3);
    expect(c.sum()).toBe(8);
  });

  it('rejects bad names, labels and values with MetricError and records nothing', () => {
    const r = new Registry();
    expect(() => r.counter('1bad', 'x')).toThrow(MetricError);
    expect(() => r.counter('ok_total', 'x', ['__reserved'])).toThrow(MetricError);
    expect(() => r.histogram('h', 'x', ['le'])).toThrow(MetricError);
    expect(() => r.histogram('h2', 'x', [], [1, 1])).toThrow(/increasing/);
    const c = r.counter('c_total', 'C.', ['a']);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/only go up/);
    expect(() => c.inc({ b: 'x' })).toThrow(/labels must be exactly/);
    expect(() => c.inc({})).toThrow(MetricError);
    expect(() => r.histogram('h3', 'x').observe({}, NaN)).toThrow(/NaN/);
    expect(r.render()).toBe(
      '# HELP c_total C.\n# TYPE c_total counter\n# HELP h3 x\n# TYPE h3 histogram\n',
    );
  });

  it('formats special floats as Prometheus expects', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(0.25)).toBe('0.25');
  });
});
