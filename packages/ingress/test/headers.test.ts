import { describe, expect, it } from 'vitest';
import { applyHeaderModifier, endToEndHeaders, setForwarded } from '../src/headers.js';

describe('forwarded headers', () => {
  const base = { clientAddress: '10.0.0.9', proto: 'https', host: 'a.test', port: 443 } as const;

  it('untrusted: client-supplied X-Forwarded-* are replaced, never extended', () => {
    const out = {
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'evil',
      'x-real-ip': '6.6.6.6',
    };
    setForwarded(out, { ...base, trust: false });
    expect(out).toEqual({
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'a.test',
      'x-forwarded-port': '443',
      'x-real-ip': '10.0.0.9',
    });
  });

  it('trusted (behind a load balancer): the chain is extended and the original client kept', () => {
    const out = {
      'x-forwarded-for': '1.2.3.4, 5.6.7.8',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.test',
    };
    setForwarded(out, { ...base, proto: 'http', trust: true });
    expect(out).toEqual({
      'x-forwarded-for': '1.2.3.4, 5.6.7.8, 10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.test',
      'x-forwarded-port': '443',
      'x-real-ip': '1.2.3.4',
    });
  });
});

describe('end-to-end headers', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    expect(
      endToEndHeaders({
        connection: 'keep-alive, X-Secret',
        'x-secret': 's',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        accept: '*/*',
        'set-cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ accept: '*/*', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('header modifiers', () => {
  it('set replaces, add appends (Set-Cookie as another line), remove deletes', () => {
    const out = { 'x-a': 'old', 'x-b': 'first', 'set-cookie': ['s=1'], 'x-gone': 'bye' };
    applyHeaderModifier(out, {
      set: [['x-a', 'new']],
      add: [
        ['x-b', 'second'],
        ['set-cookie', 't=2'],
        ['x-new', 'n'],
      ],
      remove: ['x-gone'],
    });
    expect(out).toEqual({
      'x-a': 'new',
      'x-b': 'first,second',
      'set-cookie': ['s=1', 't=2'],
      'x-new': 'n',
    });
  });
});
