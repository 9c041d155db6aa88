import { describe, expect, it } from 'vitest';
import { byEntityRef, readiness, refKey, ttl } from './inventory';

describe('refKey', () => {
  it('canonicalises', () => {
    expect(refKey('Component:default/Checkout')).toBe('component:default/checkout');
    expect(refKey('checkout')).toBe('component:default/checkout');
    expect(refKey('dev', 'resource')).toBe('resource:default/dev');
  });
});

describe('linking', () => {
  const envs = [
    { name: 'a', entityRef: 'resource:default/env-a' },
    { name: 'b', entityRef: 'Resource:default/env-b' },
  ];
  it('finds an entity’s own record', () => {
    expect(byEntityRef('resource:default/env-b', envs)?.name).toBe('b');
    expect(byEntityRef('Resource:default/env-a', envs)?.name).toBe('a');
    expect(byEntityRef('resource:default/none', envs)).toBeUndefined();
  });
});

describe('ttl', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  it.each<[string | null, string, string]>([
    [null, 'none', 'Kept until someone deletes it (no TTL)'],
    ['2026-02-28T00:00:00Z', 'past', 'Deletion is due now'],
    ['2026-03-01T00:30:00Z', 'soon', 'Deleted in 30 minutes'],
    ['2026-03-01T05:00:00Z', 'soon', 'Deleted in 5 hours'],
    ['2026-03-02T06:00:00Z', 'ok', 'Deleted in 30 hours'],
    ['2026-03-11T00:00:00Z', 'ok', 'Deleted in 10 days'],
  ])('%s', (at, level, text) => {
    expect(ttl(at, now)).toEqual({ level, text });
  });
});

describe('readiness', () => {
  it('reads ready/desired', () => {
    expect(readiness(2, 3)).toEqual({ text: '2/3 ready', ok: false });
    expect(readiness(3, 3)).toEqual({ text: '3/3 ready', ok: true });
    expect(readiness(null, null)).toEqual({ text: 'unknown', ok: false });
  });
});
