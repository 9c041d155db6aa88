import { describe, expect, it } from 'vitest';
import { isRendered, renderedCount, rowWindow, sameRuns, visibleRange, type WindowInput } from './rowWindow';

// 500 rows of 40 px under an 800 px viewport, 5 rows of overscan.
const base: WindowInput = { count: 500, rowHeight: 40, top: 0, viewport: 800, overscan: 5 };
const w = (o: Partial<WindowInput>) => rowWindow({ ...base, ...o });

describe('visibleRange', () => {
  it.each<[string, Partial<WindowInput>, { from: number; to: number }]>([
    ['at the top of the body', {}, { from: 0, to: 25 }],
    ['the body starts below the viewport top', { top: -300 }, { from: 0, to: 18 }],
    ['the body is below the viewport, within overscan', { top: -900 }, { from: 0, to: 3 }],
    ['the body is far below the viewport', { top: -5000 }, { from: 0, to: 0 }],
    ['scrolled into the middle, between rows', { top: 4010 }, { from: 95, to: 126 }],
    ['scrolled exactly to a row', { top: 4000 }, { from: 95, to: 125 }],
    ['at the end', { top: 500 * 40 - 800 }, { from: 475, to: 500 }],
    ['the body is above the viewport, within overscan', { top: 500 * 40 + 100 }, { from: 497, to: 500 }],
    ['the body is far above the viewport', { top: 500 * 40 + 1000 }, { from: 0, to: 0 }],
    ['no overscan', { top: 400, overscan: 0 }, { from: 10, to: 30 }],
    ['a body shorter than the viewport', { count: 7 }, { from: 0, to: 7 }],
    ['no rows', { count: 0 }, { from: 0, to: 0 }],
    ['no row height yet: everything', { rowHeight: 0, count: 30 }, { from: 0, to: 30 }],
  ])('%s', (_, o, want) => expect(visibleRange({ ...base, ...o })).toEqual(want));
});

describe('rowWindow', () => {
  it('covers the body in order with spacers around the window', () => {
    expect(w({ top: 4010 })).toEqual([
      { from: 0, to: 95, rendered: false },
      { from: 95, to: 126, rendered: true },
      { from: 126, to: 500, rendered: false },
    ]);
  });
  it('has no spacer at an edge', () => {
    expect(w({})).toEqual([
      { from: 0, to: 25, rendered: true },
      { from: 25, to: 500, rendered: false },
    ]);
    expect(w({ top: 500 * 40 - 800 })).toEqual([
      { from: 0, to: 475, rendered: false },
      { from: 475, to: 500, rendered: true },
    ]);
  });
  it('keeps the focused row, wherever it is', () => {
    expect(w({ top: 4010, keep: [3] })).toEqual([
      { from: 0, to: 3, rendered: false },
      { from: 3, to: 4, rendered: true },
      { from: 4, to: 95, rendered: false },
      { from: 95, to: 126, rendered: true },
      { from: 126, to: 500, rendered: false },
    ]);
    expect(w({ keep: [499, 0] })).toEqual([
      { from: 0, to: 25, rendered: true },
      { from: 25, to: 499, rendered: false },
      { from: 499, to: 500, rendered: true },
    ]);
  });
  it('merges kept rows inside or next to the window', () => {
    expect(w({ keep: [10] })).toEqual(w({}));
    expect(w({ keep: [25, 26] })).toEqual([
      { from: 0, to: 27, rendered: true },
      { from: 27, to: 500, rendered: false },
    ]);
    expect(w({ top: 4010, keep: [94, 94] })).toEqual([
      { from: 0, to: 94, rendered: false },
      { from: 94, to: 126, rendered: true },
      { from: 126, to: 500, rendered: false },
    ]);
  });
  it('ignores kept rows that are not rows', () => {
    expect(w({ keep: [null, undefined, -1, 500, 2.5] })).toEqual(w({}));
  });
  it('keeps only the kept row when the body is off screen', () => {
    expect(w({ top: -5000 })).toEqual([{ from: 0, to: 500, rendered: false }]);
    expect(w({ top: -5000, keep: [7] })).toEqual([
      { from: 0, to: 7, rendered: false },
      { from: 7, to: 8, rendered: true },
      { from: 8, to: 500, rendered: false },
    ]);
  });
  it('renders a short body whole', () => {
    expect(w({ count: 100, top: 2000, wholeUpTo: 100 })).toEqual([{ from: 0, to: 100, rendered: true }]);
    expect(renderedCount(w({ count: 101, top: 2000, wholeUpTo: 100 }))).toBe(30);
  });
  it('renders about a viewport of rows however long the body', () => {
    for (const count of [200, 500, 50_000]) {
      for (const top of [0, 1234, count * 20, count * 40 - 800]) {
        const runs = w({ count, top });
        expect(renderedCount(runs)).toBeLessThanOrEqual(800 / 40 + 1 + 2 * 5);
        expect(runs[0]!.from).toBe(0);
        expect(runs[runs.length - 1]!.to).toBe(count);
        runs.slice(1).forEach((r, i) => {
          expect(r.from).toBe(runs[i]!.to);
          expect(r.rendered).not.toBe(runs[i]!.rendered);
        });
      }
    }
  });
  it('has nothing for no rows', () => {
    expect(w({ count: 0 })).toEqual([]);
  });
});

describe('helpers', () => {
  const runs = w({ top: 4010, keep: [3] });
  it('knows which rows are rendered', () => {
    expect([2, 3, 4, 95, 125, 126].map((i) => isRendered(runs, i))).toEqual([false, true, false, true, true, false]);
    expect(renderedCount(runs)).toBe(32);
  });
  it('compares windows', () => {
    expect(sameRuns(runs, w({ top: 4020, keep: [3] }))).toBe(true);
    expect(sameRuns(runs, w({ top: 4040, keep: [3] }))).toBe(false);
    expect(sameRuns(runs, w({ top: 4010 }))).toBe(false);
  });
});
