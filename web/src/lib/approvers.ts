// Who may approve a run, in words: the API lists an action's approvers as
// "owners" (members of the target's owning group), "admins" (Pont's
// admins) or group refs; never the person who asked.

import { formatRef, parseRef, shortRef } from './entityRef';

export type Approver = { kind: 'owners' } | { kind: 'admins' } | { kind: 'group'; ref: string };

/** approvers reads the API's list: each once, group refs in full (group:default/x). */
export function approvers(list: readonly string[]): Approver[] {
  const out: Approver[] = [];
  const seen = new Set<string>();
  for (const raw of list) {
    const v = raw.trim();
    if (v === '') continue;
    const a: Approver = v === 'owners' || v === 'admins' ? { kind: v } : { kind: 'group', ref: groupRef(v) };
    const k = a.kind === 'group' ? a.ref.toLowerCase() : a.kind;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return out;
}

/** separator is what goes before the i-th of n items of a list in words: "a, b or c". */
export function separator(i: number, n: number, conjunction = 'or'): string {
  if (i === 0) return '';
  return i === n - 1 ? ` ${conjunction} ` : ', ';
}

/** inWords joins items as a sentence does: "a", "a or b", "a, b or c". */
export function inWords(items: readonly string[], conjunction = 'or'): string {
  return items.map((x, i) => separator(i, items.length, conjunction) + x).join('');
}

/** targetName is a target as a sentence names it: its name, and its namespace when not the default. */
export function targetName(target: string): string {
  return shortRef(target, parseRef(target).kind);
}

/** groupRef is a group's ref in full: group:default/x. */
export function groupRef(ref: string): string {
  return formatRef(parseRef(ref, 'group'));
}

/**
 * approverText is one approver in words: "the owners of checkout (members
 * of group:default/payments)", "Pont's admins", "members of
 * group:default/dba". target and owner are the run's target and its
 * owning group, when known.
 */
export function approverText(a: Approver, target?: string | null, owner?: string | null): string {
  switch (a.kind) {
    case 'owners': {
      const of = target ? `the owners of ${targetName(target)}` : 'the owners of the target';
      return owner ? `${of} (members of ${groupRef(owner)})` : of;
    }
    case 'admins':
      return 'Pont’s admins';
    case 'group':
      return `members of ${a.ref}`;
  }
}

/** approversInWords is the whole list in words; "" when it is empty. */
export function approversInWords(list: readonly string[], target?: string | null, owner?: string | null): string {
  return inWords(approvers(list).map((a) => approverText(a, target, owner)));
}
