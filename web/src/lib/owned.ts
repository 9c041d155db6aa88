// "What I own": the signed-in user's groups (and the user) as the refs
// the catalog's entities query takes, and what they own, grouped by kind.

import { refKey } from './inventory';

/** ownerKeys are the ref keys of the viewer's user and groups, without repeats. */
export function ownerKeys(viewer: { user?: string | null; groups: readonly string[] }): string[] {
  const keys = [...(viewer.user ? [refKey(viewer.user, 'user')] : []), ...viewer.groups.map((g) => refKey(g, 'group'))];
  return [...new Set(keys)];
}

export interface Owned {
  ref: string;
  kind: string;
}

/** groupOwned sorts owned entities by kind, then name, dropping repeats (owned by two of your groups). */
export function groupOwned<T extends Owned & { name: string }>(lists: readonly (readonly T[])[]): [string, T[]][] {
  const seen = new Set<string>();
  const byKind = new Map<string, T[]>();
  for (const list of lists) {
    for (const e of list) {
      const k = e.ref.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      const kind = e.kind.toLowerCase();
      byKind.set(kind, [...(byKind.get(kind) ?? []), e]);
    }
  }
  const order = ['component', 'api', 'system', 'resource', 'domain', 'group', 'template', 'location', 'user'];
  const rank = (k: string) => (order.indexOf(k) < 0 ? order.length : order.indexOf(k));
  return [...byKind.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([k, v]) => [k, [...v].sort((x, y) => x.name.localeCompare(y.name))]);
}
