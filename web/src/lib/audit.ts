// The audit trail's filters as the auditEvents where input.

export type Outcome = 'success' | 'denied' | 'failure';

export interface AuditFilter {
  action: string;
  actor: string;
  target: string;
  outcome: '' | Outcome;
  /** datetime-local values (local time, "2026-01-31T14:00"), or "". */
  from: string;
  to: string;
}

export const emptyAuditFilter: AuditFilter = { action: '', actor: '', target: '', outcome: '', from: '', to: '' };

export interface AuditWhere {
  actionHasPrefix?: string;
  actorContainsFold?: string;
  targetContainsFold?: string;
  outcome?: Outcome;
  timeGTE?: string;
  timeLT?: string;
}

/** localToISO reads a datetime-local value as local time; null when it is not one. */
export function localToISO(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v.trim());
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * auditWhere builds the where input: an action by its start (token.
 * finds token.create and token.revoke), an actor and a target by any part
 * of them, ignoring case, one outcome, and a time range (to is exclusive).
 * It is undefined when no filter is set.
 */
export function auditWhere(f: AuditFilter): AuditWhere | undefined {
  const w: AuditWhere = {};
  if (f.action.trim()) w.actionHasPrefix = f.action.trim();
  if (f.actor.trim()) w.actorContainsFold = f.actor.trim();
  if (f.target.trim()) w.targetContainsFold = f.target.trim();
  if (f.outcome) w.outcome = f.outcome;
  const from = f.from ? localToISO(f.from) : null;
  const to = f.to ? localToISO(f.to) : null;
  if (from) w.timeGTE = from;
  if (to) w.timeLT = to;
  return Object.keys(w).length ? w : undefined;
}

/** filterProblem says what is wrong with a filter before it is sent, or null. */
export function filterProblem(f: AuditFilter): string | null {
  if (f.from && !localToISO(f.from)) return 'The start time is not a date and time.';
  if (f.to && !localToISO(f.to)) return 'The end time is not a date and time.';
  const a = f.from ? localToISO(f.from) : null;
  const b = f.to ? localToISO(f.to) : null;
  if (a && b && a >= b) return 'The start time must be before the end time.';
  return null;
}
