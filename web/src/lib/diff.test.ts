import { describe, expect, it } from 'vitest';
import { changeVerb, diffStat, parseDiff } from './diff';

describe('parseDiff', () => {
  it('reads a unified diff with line numbers', () => {
    const d = parseDiff(['--- live', '+++ planned', '@@ -2,3 +2,3 @@', ' a', '-b', '+B', ' c', ''].join('\n'));
    expect(d.unified).toBe(true);
    expect(d.added).toBe(1);
    expect(d.removed).toBe(1);
    expect(d.lines).toEqual([
      { kind: 'file', text: 'live' },
      { kind: 'file', text: 'planned' },
      { kind: 'hunk', text: '@@ -2,3 +2,3 @@' },
      { kind: 'ctx', text: 'a', oldNo: 2, newNo: 2 },
      { kind: 'del', text: 'b', oldNo: 3 },
      { kind: 'add', text: 'B', newNo: 3 },
      { kind: 'ctx', text: 'c', oldNo: 4, newNo: 4 },
    ]);
  });
  it('reads a created object, and "---" inside a hunk as a removed line', () => {
    const d = parseDiff(['--- /dev/null', '+++ planned', '@@ -0,0 +1,2 @@', '+apiVersion: v1', '+kind: Namespace'].join('\n'));
    expect(d.lines.filter((l) => l.kind === 'add').map((l) => [l.text, l.newNo])).toEqual([['apiVersion: v1', 1], ['kind: Namespace', 2]]);
    const e = parseDiff(['@@ -1,1 +1,1 @@', '--- x', '+++ y'].join('\n'));
    expect(e.lines.map((l) => l.kind)).toEqual(['hunk', 'del', 'add']);
  });
  it('leaves other text as it is', () => {
    expect(parseDiff('HI!')).toEqual({ unified: false, lines: [{ kind: 'text', text: 'HI!' }], added: 0, removed: 0 });
    expect(parseDiff('').lines).toEqual([]);
    const note = parseDiff(['# not checked by the API server', '--- /dev/null', '+++ planned', '@@ -0,0 +1 @@', '+a'].join('\n'));
    expect(note.lines[0]).toEqual({ kind: 'note', text: '# not checked by the API server' });
  });
});

describe('diffStat and changeVerb', () => {
  it('summarises', () => {
    expect(diffStat(parseDiff('@@ -1,2 +1,1 @@\n-a\n-b\n+c'))).toBe('1 line added, 2 lines removed');
    expect(diffStat(parseDiff('text'))).toBe('');
    expect(changeVerb('create')).toBe('Create');
    expect(changeVerb('scale')).toBe('Scale');
  });
});
