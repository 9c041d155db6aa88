// Windowing of a long table: which rows of a table body are in the DOM
// for a scroll position. Every row has the same height; the rows that are
// not rendered are stood in for by spacer rows of their total height, so
// the body keeps its full height and the page's scroll bar its meaning.

export interface WindowInput {
  /** count is the number of rows in the body. */
  count: number;
  /** rowHeight is every row's height, px (> 0). */
  rowHeight: number;
  /**
   * top is the viewport's top, px below the top of the body's first row:
   * negative while the body starts below the viewport's top.
   */
  top: number;
  /** viewport is the viewport's height, px. */
  viewport: number;
  /** overscan is how many rows are rendered beyond each edge of the viewport. */
  overscan: number;
  /** keep are rows rendered wherever they are (the row holding the focus). */
  keep?: readonly (number | null | undefined)[];
  /** wholeUpTo: a body of at most this many rows is rendered whole. */
  wholeUpTo?: number;
}

/** A run of rows [from, to): rendered, or stood in for by one spacer. */
export interface Run {
  from: number;
  to: number;
  rendered: boolean;
}

/** visibleRange is the rows [from, to) in the viewport or within overscan of it; empty (from === to) when none is. */
export function visibleRange({ count, rowHeight, top, viewport, overscan }: WindowInput): { from: number; to: number } {
  if (count <= 0) return { from: 0, to: 0 };
  if (!(rowHeight > 0) || !Number.isFinite(top) || !Number.isFinite(viewport)) return { from: 0, to: count };
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewport)) / rowHeight); // exclusive
  const over = Math.max(0, Math.floor(overscan));
  const from = clamp(first - over, 0, count);
  const to = clamp(last + over, 0, count);
  return to > from ? { from, to } : { from: 0, to: 0 };
}

/**
 * rowWindow splits the body into runs, in order, covering 0..count: the
 * visible range (with its overscan) and each kept row rendered, the rest
 * in spacer runs between them.
 */
export function rowWindow(input: WindowInput): Run[] {
  const { count } = input;
  if (count <= 0) return [];
  if (input.wholeUpTo !== undefined && count <= input.wholeUpTo) return [{ from: 0, to: count, rendered: true }];
  const ranges: [number, number][] = [];
  const { from, to } = visibleRange(input);
  if (to > from) ranges.push([from, to]);
  for (const k of input.keep ?? []) {
    if (k != null && Number.isInteger(k) && k >= 0 && k < count) ranges.push([k, k + 1]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const runs: Run[] = [];
  let at = 0;
  for (const [f, t] of ranges) {
    const last = runs[runs.length - 1];
    if (last?.rendered && f <= last.to) {
      last.to = Math.max(last.to, t);
      at = last.to;
      continue;
    }
    if (f > at) runs.push({ from: at, to: f, rendered: false });
    runs.push({ from: f, to: t, rendered: true });
    at = t;
  }
  if (at < count) runs.push({ from: at, to: count, rendered: false });
  return runs;
}

/** isRendered says whether row i is in a rendered run. */
export function isRendered(runs: readonly Run[], i: number): boolean {
  return runs.some((r) => r.rendered && i >= r.from && i < r.to);
}

/** renderedCount is how many rows the runs render. */
export function renderedCount(runs: readonly Run[]): number {
  return runs.reduce((n, r) => (r.rendered ? n + r.to - r.from : n), 0);
}

/** sameRuns: whether two windows render the same rows (a re-render would change nothing). */
export function sameRuns(a: readonly Run[], b: readonly Run[]): boolean {
  return a.length === b.length && a.every((r, i) => r.from === b[i]!.from && r.to === b[i]!.to && r.rendered === b[i]!.rendered);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
