import { describe, expect, it } from 'vitest';
import { ProgrammingLatency, TRIGGER_TIME_ANNOTATION, ages } from '../src/programming-latency.js';

const at = (iso: string): Record<string, string> => ({ [TRIGGER_TIME_ANNOTATION]: iso });

describe('ProgrammingLatency', () => {
  it('collects each new trigger time once, skipping the initial list', () => {
    const l = new ProgrammingLatency();
    l.note('ns/a', at('2026-01-01T00:00:00Z'), true);
    l.note('ns/a', at('2026-01-01T00:00:00Z'), false); // same value: not a new change
    l.note('ns/a', at('2026-01-01T00:00:05Z'), false);
    l.note('ns/b', undefined, false);
    l.note('ns/c', at('not a time'), false);
    const batch = l.take();
    expect(batch).toEqual([Date.parse('2026-01-01T00:00:05Z')]);
    expect(l.take()).toEqual([]);
    l.requeue(batch);
    expect(l.take()).toEqual(batch);
  });

  it('notes a slice again after it was deleted and recreated', () => {
    const l = new ProgrammingLatency();
    l.note('ns/a', at('2026-01-01T00:00:00Z'), false);
    l.forget('ns/a');
    l.note('ns/a', at('2026-01-01T00:00:00Z'), false);
    expect(l.take()).toHaveLength(2);
  });

  it('turns trigger times into ages in seconds, never negative', () => {
    expect(ages([1000, 3500], 3000)).toEqual([2, 0]);
  });
});
