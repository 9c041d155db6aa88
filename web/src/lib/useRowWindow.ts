// useRowWindow renders a long table body in a window: the rows in and near
// the viewport (the window scrolls), spacer rows for the others
// (lib/rowWindow.ts does the arithmetic). Every row must be as high as the
// others; the height is measured from the rendered rows.
//
// Keyboard: the row holding the focus stays rendered wherever the page is
// scrolled; Tab and Shift+Tab from a row's last (first) link to a row
// that is not rendered render it and move there, as they would in a table
// rendered whole; so does Shift+Tab into the table from below it.

import { useCallback, useLayoutEffect, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type RefObject } from 'react';
import { isRendered, rowWindow, type Run } from './rowWindow';

export interface RowWindowOptions {
  /** overscan: rows rendered beyond each edge of the viewport. */
  overscan: number;
  /** wholeUpTo: a body of at most this many rows is rendered whole. */
  wholeUpTo: number;
  /** guess: a row's height, px, until one is measured. */
  guess: number;
}

/** ROW_ATTR is the attribute that holds a rendered row's index in the body (from 0). */
export const ROW_ATTR = 'data-row';

const TABBABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function tabStops(tr: Element): HTMLElement[] {
  return [...tr.querySelectorAll<HTMLElement>(TABBABLE)];
}

/** rowIndex is the body row index of an element's row: -1 in the head, null elsewhere. */
function rowIndex(el: Element | null): number | null {
  const tr = el?.closest('tr');
  if (!tr) return null;
  const v = tr.getAttribute(ROW_ATTR);
  if (v !== null) return Number(v);
  return tr.parentElement?.tagName === 'THEAD' ? -1 : null;
}

export function useRowWindow(
  table: RefObject<HTMLTableElement | null>,
  body: RefObject<HTMLTableSectionElement | null>,
  count: number,
  { overscan, wholeUpTo, guess }: RowWindowOptions,
) {
  const [rowHeight, setRowHeight] = useState(guess);
  // The viewport in whole rows of the body: [first, last). Kept in rows,
  // not pixels, so that scrolling re-renders only when it brings a row in.
  const [span, setSpan] = useState(() => ({ first: 0, last: Math.ceil((typeof window === 'undefined' ? 800 : window.innerHeight) / guess) }));
  const [focused, setFocused] = useState<number | null>(null);
  const [pending, setPending] = useState<{ row: number; edge: 'first' | 'last' } | null>(null);
  const height = useRef(rowHeight);
  height.current = rowHeight;

  const runs: Run[] = useMemo(
    () =>
      rowWindow({
        count,
        rowHeight,
        top: span.first * rowHeight,
        viewport: (span.last - span.first) * rowHeight,
        overscan,
        wholeUpTo,
        keep: [focused, pending?.row],
      }),
    [count, rowHeight, span, overscan, wholeUpTo, focused, pending],
  );

  const measure = useCallback(() => {
    const el = body.current;
    if (!el) return;
    const h = height.current;
    const top = -el.getBoundingClientRect().top;
    const first = Math.floor(top / h);
    const last = Math.ceil((top + window.innerHeight) / h);
    setSpan((s) => (s.first === first && s.last === last ? s : { first, last }));
  }, [body]);

  useLayoutEffect(() => {
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure, { passive: true });
    return () => {
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, [measure]);

  // After each render, before it is painted: the rows' height (from the
  // longest run of consecutive rendered rows), then where the viewport is
  // (the body may have moved, or just appeared).
  useLayoutEffect(() => {
    const el = body.current;
    if (!el) return;
    const rows = el.querySelectorAll<HTMLElement>(`:scope > tr[${ROW_ATTR}]`);
    let best: [HTMLElement, HTMLElement, number] | null = null;
    for (let i = 0; i < rows.length; ) {
      let j = i;
      while (j + 1 < rows.length && Number(rows[j + 1]!.getAttribute(ROW_ATTR)) === Number(rows[j]!.getAttribute(ROW_ATTR)) + 1) j++;
      if (!best || j - i + 1 > best[2]) best = [rows[i]!, rows[j]!, j - i + 1];
      i = j + 1;
    }
    if (best) {
      const h = (best[1].getBoundingClientRect().bottom - best[0].getBoundingClientRect().top) / best[2];
      if (h > 0 && Math.abs(h - height.current) > 0.01) {
        height.current = h;
        setRowHeight(h);
      }
    }
    // The kept row lost the focus without a blur (its page went away).
    if (focused !== null && !el.contains(document.activeElement)) setFocused(null);
    measure();
  });

  // A row asked for by the keyboard is rendered now: focus its first (or
  // last) link, which scrolls it into view.
  useLayoutEffect(() => {
    if (!pending) return;
    const tr = body.current?.querySelector(`:scope > tr[${ROW_ATTR}="${pending.row}"]`);
    setPending(null);
    if (!tr) return;
    const stops = tabStops(tr);
    (pending.edge === 'first' ? stops[0] : stops[stops.length - 1])?.focus();
  }, [pending, body]);

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLElement>) => {
      if (e.key !== 'Tab' || e.altKey || e.ctrlKey || e.metaKey) return;
      const active = e.target as HTMLElement;
      const index = rowIndex(active);
      const tr = active.closest('tr');
      if (index === null || !tr) return;
      const stops = tabStops(tr);
      if (stops[e.shiftKey ? 0 : stops.length - 1] !== active) return;
      const next = index + (e.shiftKey ? -1 : 1);
      if (next < 0 || next >= count || isRendered(runs, next)) return;
      e.preventDefault();
      setPending({ row: next, edge: e.shiftKey ? 'last' : 'first' });
    },
    [count, runs],
  );

  const onFocus = useCallback(
    (e: FocusEvent<HTMLElement>) => {
      const index = rowIndex(e.target);
      if (index === null || index < 0) return;
      setFocused(index);
      // Shift+Tab from below the table lands on the last rendered row; a
      // table rendered whole would give its last row.
      const from = e.relatedTarget;
      const t = table.current;
      if (from && t && !t.contains(from) && t.compareDocumentPosition(from) & Node.DOCUMENT_POSITION_FOLLOWING && !isRendered(runs, count - 1)) {
        setPending({ row: count - 1, edge: 'last' });
      }
    },
    [count, runs, table],
  );

  const onBlur = useCallback(
    (e: FocusEvent<HTMLElement>) => {
      const box = e.currentTarget;
      if (e.relatedTarget && box.contains(e.relatedTarget)) return;
      // The window losing the focus keeps document.activeElement: keep the row then.
      requestAnimationFrame(() => {
        if (!box.contains(document.activeElement)) setFocused(null);
      });
    },
    [],
  );

  return { runs, rowHeight, onKeyDown, onFocus, onBlur };
}
