import { describe, expect, it } from 'vitest';
import type { IngressClass } from '../src/api-types.js';
import { selectOwnedIngresses } from '../src/ingress-class.js';
import { ingress } from './fixtures.js';

const cls = (name: string, controller: string, isDefault = false): IngressClass => ({
  metadata: isDefault
    ? { name, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }
    : { name },
  spec: { controller },
});
const ME = 'switchyard.dev/ingress-controller';

describe('selectOwnedIngresses', () => {
  const ingresses = [
    ingress('by-name', { ingressClassName: 'sy' }),
    ingress('other-class', { ingressClassName: 'nginx' }),
    ingress('unknown-class', { ingressClassName: 'ghost' }),
    ingress('legacy', {}, { annotations: { 'kubernetes.io/ingress.class': 'sy' } }),
    ingress('legacy-other', {}, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }),
    ingress('classless', {}),
  ];
  const names = (classes: IngressClass[]): string[] =>
    selectOwnedIngresses(ingresses, classes, ME).map((i) => i.metadata.name);

  it('takes our class by name or legacy annotation; class-less ones only when our class is default', () => {
    expect(names([cls('sy', ME), cls('nginx', 'k8s.io/ingress-nginx')])).toEqual([
      'by-name',
      'legacy',
    ]);
    expect(names([cls('sy', ME, true), cls('nginx', 'k8s.io/ingress-nginx')])).toEqual([
      'by-name',
      'legacy',
      'classless',
    ]);
  });

  it('a default class belonging to another controller does not give us class-less Ingresses', () => {
    expect(names([cls('sy', ME), cls('nginx', 'k8s.io/ingress-nginx', true)])).toEqual([
      'by-name',
      'legacy',
    ]);
  });

  it('without any IngressClass of ours we own nothing', () => {
    expect(names([cls('nginx', 'k8s.io/ingress-nginx', true)])).toEqual([]);
  });
});
