// Linking the live Kubernetes inventory to catalog entities: refs in one
// form, an environment or database entity's own record; and an
// environment's time to live, a workload's readiness. (A component's environments and databases
// are the API's to find: environments(component:), databases(component:).)

import { parseRef, formatRef } from './entityRef';

/** refKey is a ref in the catalog's canonical form: lower-case kind:namespace/name. */
export function refKey(ref: string, defaultKind = 'component'): string {
  return formatRef(parseRef(ref, defaultKind)).toLowerCase();
}

/** byEntityRef finds the inventory record of a catalog entity (a Resource). */
export function byEntityRef<T extends { entityRef: string }>(ref: string, list: readonly T[]): T | undefined {
  const k = refKey(ref, 'resource');
  return list.find((x) => refKey(x.entityRef, 'resource') === k);
}

export interface TTL {
  /** none: never deleted; past: deletion is due; soon: within a day. */
  level: 'none' | 'ok' | 'soon' | 'past';
  text: string;
}

/** ttl says when an environment goes: "deleted in 3 days", "deletion due". */
export function ttl(expiresAt: string | null | undefined, now: Date = new Date()): TTL {
  if (!expiresAt) return { level: 'none', text: 'Kept until someone deletes it (no TTL)' };
  const t = Date.parse(expiresAt);
  if (Number.isNaN(t)) return { level: 'none', text: expiresAt };
  const ms = t - now.getTime();
  if (ms <= 0) return { level: 'past', text: 'Deletion is due now' };
  const h = ms / 3_600_000;
  const span = h < 1 ? `${Math.max(1, Math.round(ms / 60_000))} minutes` : h < 48 ? `${Math.round(h)} hour${Math.round(h) === 1 ? '' : 's'}` : `${Math.round(h / 24)} days`;
  return { level: h < 24 ? 'soon' : 'ok', text: `Deleted in ${span}` };
}

/** readiness is "2/3 ready" for a workload or database, with whether it is all there. */
export function readiness(ready: number | null | undefined, desired: number | null | undefined): { text: string; ok: boolean } {
  if (desired == null) return { text: ready == null ? 'unknown' : `${ready} ready`, ok: (ready ?? 0) > 0 };
  const r = ready ?? 0;
  return { text: `${r}/${desired} ready`, ok: r >= desired };
}
