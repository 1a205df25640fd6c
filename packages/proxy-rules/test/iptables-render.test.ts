import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { renderIptablesRestore } from '../src/iptables-render.js';
import { ep, model, service, slice } from './fixtures.js';

describe('renderIptablesRestore', () => {
  const three = model(
    [service('web', { clusterIP: '10.96.0.10' })],
    [slice('web', [ep('10.244.1.1'), ep('10.244.1.2'), ep('10.244.1.3')])],
  );

  it('chooses endpoints with probabilities 1/3, 1/2, then the rest, like kube-proxy', () => {
    const { text } = renderIptablesRestore(compile(three), 'ipv4');
    const picks = text.split('\n').filter((l) => /-A SY-SVC-\S+ (-m statistic|-j SY-SEP)/.test(l));
    expect(picks).toHaveLength(3);
    expect(picks[0]).toContain('--probability 0.3333333333');
    expect(picks[1]).toContain('--probability 0.5000000000');
    expect(picks[2]).not.toContain('statistic');
  });

  it('only touches SY- chains and names them within the 28-character limit', () => {
    const r = renderIptablesRestore(compile(three), 'ipv4');
    for (const line of r.text.split('\n')) {
      if (line.startsWith(':')) expect(line).toMatch(/^:SY-[A-Z0-9-]+ - \[0:0\]$/);
      if (line.startsWith('-A')) expect(line).toMatch(/^-A SY-/);
    }
    for (const c of r.chains) expect(c.length).toBeLessThanOrEqual(28);
  });

  it('deletes chains that were loaded before and are gone now', () => {
    const first = renderIptablesRestore(compile(three), 'ipv4');
    const second = renderIptablesRestore(compile(model([], [])), 'ipv4', first.chains);
    const gone = first.chains.filter((c) => /SY-(SVC|SEP)-/.test(c));
    for (const c of gone) expect(second.text).toContain(`-X ${c}`);
    expect(second.text).not.toContain('-X SY-SERVICES');
  });

  it('renders only the requested family', () => {
    const ds = model(
      [service('ds', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::10'] })],
      [slice('ds', [ep('10.244.1.1')]), slice('ds', [ep('fd00:244::1')], { family: 'IPv6' })],
    );
    const v6 = renderIptablesRestore(compile(ds), 'ipv6').text;
    expect(v6).toContain('-d fd00:96::10/128 -p tcp --dport 80');
    expect(v6).toContain('--to-destination [fd00:244::1]:8080');
    expect(v6).not.toContain('10.96.0.10');
  });
});
