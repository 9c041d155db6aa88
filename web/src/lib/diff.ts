// Unified diffs (diff -u, as Pont's Kubernetes actions write their plans)
// split into lines a page can show accessibly: each added or removed line
// says so in words, not only in colour. Text that is not a diff is shown
// as it is.

export type DiffLineKind = 'add' | 'del' | 'ctx' | 'hunk' | 'file' | 'note' | 'text';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its +, - or space marker. */
  text: string;
  /** Line number in the old and the new text (where the line has one). */
  oldNo?: number;
  newNo?: number;
}

export interface ParsedDiff {
  /** Whether the text is a unified diff at all. */
  unified: boolean;
  lines: DiffLine[];
  added: number;
  removed: number;
}

const hunkRe = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** parseDiff reads a unified diff; other text comes back as lines of kind text. */
export function parseDiff(text: string): ParsedDiff {
  const raw = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const unified = raw.some((l) => hunkRe.test(l));
  if (!unified) return { unified: false, lines: text === '' ? [] : raw.map((t) => ({ kind: 'text', text: t })), added: 0, removed: 0 };
  const lines: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  // Lines of the current hunk still to come, from its header: past them,
  // "--- " and "+++ " are file headers again.
  let oldLeft = 0;
  let newLeft = 0;
  let added = 0;
  let removed = 0;
  for (const l of raw) {
    const h = hunkRe.exec(l);
    if (h) {
      oldNo = Number(h[1]);
      newNo = Number(h[3]);
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      // "-0,0" starts before line 1.
      if (oldNo === 0) oldNo = 1;
      if (newNo === 0) newNo = 1;
      lines.push({ kind: 'hunk', text: l });
      continue;
    }
    const inHunk = oldLeft > 0 || newLeft > 0;
    const mark = l.charAt(0);
    const rest = l.slice(1);
    if (inHunk && mark === '+') {
      added++;
      newLeft--;
      lines.push({ kind: 'add', text: rest, newNo: newNo++ });
    } else if (inHunk && mark === '-') {
      removed++;
      oldLeft--;
      lines.push({ kind: 'del', text: rest, oldNo: oldNo++ });
    } else if (inHunk && (mark === ' ' || l === '')) {
      oldLeft--;
      newLeft--;
      lines.push({ kind: 'ctx', text: rest, oldNo: oldNo++, newNo: newNo++ });
    } else if (l.startsWith('--- ') || l.startsWith('+++ ')) {
      lines.push({ kind: 'file', text: l.slice(4) });
    } else {
      lines.push({ kind: 'note', text: l });
    }
  }
  return { unified: true, lines, added, removed };
}

/** changeVerb is how a plan's change reads: "Create Namespace team-a-dev". */
export function changeVerb(action: string): string {
  switch (action.toLowerCase()) {
    case 'create':
      return 'Create';
    case 'update':
      return 'Update';
    case 'delete':
      return 'Delete';
    case 'unchanged':
      return 'Unchanged';
    default:
      return action.charAt(0).toUpperCase() + action.slice(1);
  }
}

/** diffStat summarises a diff for a screen reader and the eye: "3 lines added, 1 removed". */
export function diffStat(d: ParsedDiff): string {
  if (!d.unified) return '';
  const parts: string[] = [];
  if (d.added) parts.push(`${d.added} line${d.added === 1 ? '' : 's'} added`);
  if (d.removed) parts.push(`${d.removed} line${d.removed === 1 ? '' : 's'} removed`);
  return parts.length ? parts.join(', ') : 'no lines changed';
}
