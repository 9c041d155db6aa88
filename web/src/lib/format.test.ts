import { describe, expect, it } from 'vitest';
import { ago, kindLabel, kindPlural, safeHref } from './format';

describe('ago', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T11:59:30Z', '30 seconds ago'],
    ['2026-01-10T09:00:00Z', '3 hours ago'],
    ['2026-01-09T12:00:00Z', 'yesterday'],
    ['2025-01-10T12:00:00Z', 'last year'],
    ['not a time', 'not a time'],
  ])('%s', (t, want) => expect(ago(t, now)).toBe(want));
});

describe('labels', () => {
  it('names kinds', () => {
    expect(kindLabel('api')).toBe('API');
    expect(kindLabel('component')).toBe('Component');
    expect(kindPlural('System')).toBe('Systems');
  });
});

describe('safeHref', () => {
  it.each([
    ['https://example.com/x', 'https://example.com/x'],
    ['mailto:a@b.c', 'mailto:a@b.c'],
    ['javascript:alert(1)', null],
    ['data:text/html,hi', null],
    ['/relative', null],
  ])('%s', (u, want) => expect(safeHref(u)).toBe(want));
});
