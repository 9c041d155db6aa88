import { describe, expect, it } from 'vitest';
import { CHUNK, ariaSort, mergePage, pageSizeOf, pageVars, restVars, type Conn, rangeText, toggleSort, whereFor } from './catalogQuery';

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

describe('pageSizeOf', () => {
  it.each<[string | null, number]>([
    ['200', 200],
    ['500', 500],
    ['50', 50],
    [null, 50],
    ['', 50],
    ['100', 50],
    ['5000', 50],
    ['abc', 50],
  ])('%s', (v, want) => expect(pageSizeOf(v)).toBe(want));
  it('asks for that many rows', () => {
    expect(pageVars({ after: 'c1' }, 500)).toEqual({ first: 500, after: 'c1' });
    expect(pageVars({ before: 'c0' }, 200)).toEqual({ last: 200, before: 'c0' });
  });
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

describe('a page in two requests', () => {
  const conn = (ids: number[], pi: Partial<Conn<number>['pageInfo']> = {}): Conn<number> => ({
    totalCount: 9999,
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: `c${ids[0]}`, endCursor: `c${ids[ids.length - 1]}`, ...pi },
    edges: ids.map((node) => ({ node })),
  });
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it('asks once for a page of at most CHUNK rows', () => {
    expect(CHUNK).toBeGreaterThanOrEqual(200);
    expect(restVars({}, 200, conn(range(0, 200), { hasNextPage: true }))).toBeNull();
  });
  it('asks for the rest after the first answer, going forwards', () => {
    expect(restVars({}, 500, conn(range(0, CHUNK), { hasNextPage: true }))).toEqual({ first: 500 - CHUNK, after: `c${CHUNK - 1}` });
    expect(restVars({ after: 'x' }, 500, conn(range(0, CHUNK), { hasNextPage: true }))).toEqual({ first: 500 - CHUNK, after: `c${CHUNK - 1}` });
  });
  it('asks for the rows before the first answer, going back', () => {
    expect(restVars({ before: 'x' }, 500, conn(range(CHUNK, CHUNK), { hasPreviousPage: true }))).toEqual({ last: 500 - CHUNK, before: `c${CHUNK}` });
  });
  it('stops at the end', () => {
    expect(restVars({}, 500, conn(range(0, 120)))).toBeNull();
    expect(restVars({}, 500, conn(range(0, CHUNK), { hasNextPage: false }))).toBeNull();
    expect(restVars({ before: 'x' }, 500, conn(range(0, CHUNK), { hasPreviousPage: false }))).toBeNull();
  });
  it('joins the answers in order', () => {
    const fwd = mergePage({}, conn(range(0, 3), { hasPreviousPage: false, hasNextPage: true }), conn(range(3, 2), { hasPreviousPage: true, hasNextPage: true }));
    expect(fwd.nodes).toEqual([0, 1, 2, 3, 4]);
    expect(fwd.pageInfo).toEqual({ hasPreviousPage: false, startCursor: 'c0', hasNextPage: true, endCursor: 'c4' });
    const back = mergePage({ before: 'c5' }, conn(range(3, 2), { hasPreviousPage: true }), conn(range(0, 3), { hasPreviousPage: false }));
    expect(back.nodes).toEqual([0, 1, 2, 3, 4]);
    expect(back.pageInfo).toEqual({ hasPreviousPage: false, startCursor: 'c0', hasNextPage: false, endCursor: 'c4' });
    expect(mergePage({}, conn([7]), null)).toEqual({ totalCount: 9999, pageInfo: conn([7]).pageInfo, nodes: [7] });
  });
});
