import { describe, expect, it } from 'vitest';
import { LabeledHistogram, createMetrics, renderPrometheus, typeLabel } from '../src/metrics.js';

describe('metrics', () => {
  it('renders counters with CoreDNS names, the server label and escaped values', () => {
    const m = createMetrics();
    m.requests.inc({ zone: '.', proto: 'udp', family: '1', type: 'A' });
    m.requests.inc({ zone: '.', proto: 'udp', family: '1', type: 'A' });
    m.forwardResponses.inc({ to: '10.0.0.53:53', rcode: 'NOERROR' });
    m.malformed.inc({ action: 'a"b\\c\nd' });
    const text = renderPrometheus(m, 'dns://:5353');
    expect(text).toContain('# TYPE coredns_dns_requests_total counter\n');
    expect(text).toContain(
      'coredns_dns_requests_total{server="dns://:5353",zone=".",proto="udp",family="1",type="A"} 2\n',
    );
    // Forward metrics carry no server label, as in CoreDNS.
    expect(text).toContain(
      'coredns_forward_responses_total{to="10.0.0.53:53",rcode="NOERROR"} 1\n',
    );
    expect(text).toContain(
      'switchyard_dns_malformed_requests_total{server="dns://:5353",action="a\\"b\\\\c\\nd"} 1\n',
    );
  });

  it('keeps histogram buckets cumulative with +Inf, sum and count', () => {
    const m = createMetrics();
    for (const s of [0.0001, 0.0003, 0.0003, 0.002, 20])
      m.requestDuration.observe({ zone: 'cluster.local.', type: 'A' }, s);
    const text = renderPrometheus(m);
    const base = 'server="dns://:53",zone="cluster.local.",type="A"';
    expect(text).toContain('# TYPE coredns_dns_request_duration_seconds histogram\n');
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${base},le="0.00025"} 1\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${base},le="0.0005"} 3\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${base},le="0.002"} 4\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${base},le="8.192"} 4\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${base},le="+Inf"} 5\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_count{${base}} 5\n`);
    expect(text).toMatch(/coredns_dns_request_duration_seconds_sum\{[^}]*\} 20\.0027/);
  });

  it('bounds the type label and accepts custom buckets', () => {
    expect(typeLabel(1)).toBe('A');
    expect(typeLabel(65)).toBe('other');
    const h = new LabeledHistogram([1, 2]);
    h.observe({}, 1.5);
    expect(h.entries()[0]?.counts).toEqual([0, 1, 0]);
  });
});
