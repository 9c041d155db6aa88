import { describe, expect, it } from 'vitest';
import { auditWhere, emptyAuditFilter, filterProblem, localToISO } from './audit';

describe('auditWhere', () => {
  it('is undefined without filters', () => {
    expect(auditWhere(emptyAuditFilter)).toBeUndefined();
    expect(auditWhere({ ...emptyAuditFilter, actor: '  ' })).toBeUndefined();
  });
  it('builds the where input', () => {
    const from = '2026-01-31T14:00';
    expect(auditWhere({ action: ' token. ', actor: 'Ada', target: 'checkout', outcome: 'denied', from, to: '' })).toEqual({
      actionHasPrefix: 'token.',
      actorContainsFold: 'Ada',
      targetContainsFold: 'checkout',
      outcome: 'denied',
      timeGTE: new Date(2026, 0, 31, 14, 0).toISOString(),
    });
  });
  it('reads local times and finds bad ranges', () => {
    expect(localToISO('nope')).toBeNull();
    expect(localToISO('2026-02-01')).toBe(new Date(2026, 1, 1).toISOString());
    expect(filterProblem({ ...emptyAuditFilter, from: '2026-02-02T00:00', to: '2026-02-01T00:00' })).toMatch(/before/);
    expect(filterProblem({ ...emptyAuditFilter, from: 'x' })).toMatch(/start/);
    expect(filterProblem({ ...emptyAuditFilter, from: '2026-02-01T00:00', to: '2026-02-02T00:00' })).toBeNull();
  });
});
