// Keyboard movement through a list of results (a listbox): arrows move,
// Home and End jump, and nothing selected (-1) is a valid state.

export function nextIndex(current: number, key: string, length: number): number {
  if (length <= 0) return -1;
  switch (key) {
    case 'ArrowDown':
      return current < 0 ? 0 : Math.min(current + 1, length - 1);
    case 'ArrowUp':
      return current <= 0 ? (current < 0 ? length - 1 : 0) : current - 1;
    case 'Home':
      return 0;
    case 'End':
      return length - 1;
    case 'PageDown':
      return current < 0 ? Math.min(9, length - 1) : Math.min(current + 10, length - 1);
    case 'PageUp':
      return current < 0 ? 0 : Math.max(current - 10, 0);
    default:
      return current >= length ? length - 1 : current;
  }
}
