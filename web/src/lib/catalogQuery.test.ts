import { describe, expect, it } from 'vitest';
import { ariaSort, pageVars, rangeText, toggleSort, whereFor } from './catalogQuery';

describe('whereFor', () => {
  it('filters by kind, lower-cased', () => {
    expect(whereFor('API', '  ')).toEqual({ kind: 'api' });
  });
  it('matches the name or the ref', () => {
    expect(whereFor('component', ' pay ')).toEqual({
      kind: 'component',
      or: [{ nameContainsFold: 'pay' }, { refKeyContainsFold: 'pay' }],
    });
  });
});

describe('pageVars', () => {
  it.each([
    [{}, { first: 50 }],
    [{ after: 'c1' }, { first: 50, after: 'c1' }],
    [{ before: 'c0' }, { last: 50, before: 'c0' }],
  ])('%j', (page, want) => expect(pageVars(page)).toEqual(want));
});

describe('sorting', () => {
  it('flips the same column and starts others ascending, dates descending', () => {
    expect(toggleSort({ field: 'NAME', direction: 'ASC' }, 'NAME')).toEqual({ field: 'NAME', direction: 'DESC' });
    expect(toggleSort({ field: 'NAME', direction: 'DESC' }, 'NAMESPACE')).toEqual({ field: 'NAMESPACE', direction: 'ASC' });
    expect(toggleSort({ field: 'NAME', direction: 'ASC' }, 'UPDATED_AT')).toEqual({ field: 'UPDATED_AT', direction: 'DESC' });
  });
  it('tells assistive technology', () => {
    expect(ariaSort({ field: 'NAME', direction: 'ASC' }, 'NAME')).toBe('ascending');
    expect(ariaSort({ field: 'NAME', direction: 'DESC' }, 'NAME')).toBe('descending');
    expect(ariaSort({ field: 'NAME', direction: 'ASC' }, 'UPDATED_AT')).toBe('none');
  });
});

describe('rangeText', () => {
  it.each([
    [0, 50, 1234, '1–50 of 1,234'],
    [50, 20, 70, '51–70 of 70'],
    [0, 0, 0, 'none'],
    [0, 3, null, '1–3'],
  ])('%i %i %s', (off, rows, total, want) => expect(rangeText(off, rows, total)).toBe(want));
});
