import { describe, expect, it } from 'vitest';
import { atBottom, shouldFollow } from './autoScroll';

const box = (scrollTop: number) => ({ scrollTop, clientHeight: 100, scrollHeight: 1000 });

describe('auto-scroll', () => {
  it('knows the bottom', () => {
    expect(atBottom(box(900))).toBe(true);
    expect(atBottom(box(880))).toBe(true);
    expect(atBottom(box(800))).toBe(false);
  });
  it('stops following when the reader scrolls up, resumes at the bottom', () => {
    expect(shouldFollow(900, box(700), true)).toBe(false);
    expect(shouldFollow(700, box(750), false)).toBe(false);
    expect(shouldFollow(750, box(900), false)).toBe(true);
    expect(shouldFollow(0, box(900), true)).toBe(true);
  });
});
