// Following a live log: new lines scroll into view only while the reader
// is at the bottom; scrolling up to read stops that until they come back
// down (or press "Jump to the latest line").

/** Pixels from the bottom that still count as "at the bottom". */
export const stickSlack = 24;

export interface ScrollBox {
  scrollTop: number;
  clientHeight: number;
  scrollHeight: number;
}

/** atBottom says whether a scrolled box shows its last line. */
export function atBottom(b: ScrollBox, slack = stickSlack): boolean {
  return b.scrollHeight - b.clientHeight - b.scrollTop <= slack;
}

/**
 * shouldFollow decides, after the reader scrolled, whether new lines keep
 * scrolling the box: a scroll up (away from the bottom) stops following,
 * reaching the bottom again resumes it.
 */
export function shouldFollow(prevTop: number, b: ScrollBox, following: boolean): boolean {
  if (atBottom(b)) return true;
  if (b.scrollTop < prevTop) return false;
  return following;
}
