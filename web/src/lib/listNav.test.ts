import { describe, expect, it } from 'vitest';
import { nextIndex } from './listNav';

describe('nextIndex', () => {
  it.each([
    [-1, 'ArrowDown', 5, 0],
    [0, 'ArrowDown', 5, 1],
    [4, 'ArrowDown', 5, 4],
    [-1, 'ArrowUp', 5, 4],
    [0, 'ArrowUp', 5, 0],
    [3, 'ArrowUp', 5, 2],
    [3, 'Home', 5, 0],
    [1, 'End', 5, 4],
    [2, 'PageDown', 30, 12],
    [25, 'PageDown', 30, 29],
    [5, 'PageUp', 30, 0],
    [7, 'x', 5, 4],
    [2, 'ArrowDown', 0, -1],
  ])('%i %s in %i -> %i', (cur, key, len, want) => {
    expect(nextIndex(cur, key, len)).toBe(want);
  });
});
