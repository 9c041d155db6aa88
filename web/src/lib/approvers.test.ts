import { describe, expect, it } from 'vitest';
import { approverText, approvers, approversInWords, inWords, separator, targetName } from './approvers';

describe('approvers', () => {
  it('reads owners, admins and group refs, each once', () => {
    expect(approvers(['owners', 'admins', 'dba', 'group:default/DBA', 'group:ops/sre', ' ', 'admins'])).toEqual([
      { kind: 'owners' },
      { kind: 'admins' },
      { kind: 'group', ref: 'group:default/dba' },
      { kind: 'group', ref: 'group:ops/sre' },
    ]);
  });
});

describe('in words', () => {
  it('joins a list as a sentence does', () => {
    expect(inWords([])).toBe('');
    expect(inWords(['a'])).toBe('a');
    expect(inWords(['a', 'b'])).toBe('a or b');
    expect(inWords(['a', 'b', 'c'], 'and')).toBe('a, b and c');
    expect([0, 1, 2].map((i) => separator(i, 3))).toEqual(['', ', ', ' or ']);
  });
  it('names each approver', () => {
    expect(approverText({ kind: 'owners' }, 'component:default/checkout', 'team-payments')).toBe(
      'the owners of checkout (members of group:default/team-payments)',
    );
    expect(approverText({ kind: 'owners' }, 'resource:ops/dev-env', null)).toBe('the owners of ops/dev-env');
    expect(approverText({ kind: 'owners' })).toBe('the owners of the target');
    expect(approverText({ kind: 'admins' })).toBe('Pont’s admins');
    expect(approverText({ kind: 'group', ref: 'group:default/x' })).toBe('members of group:default/x');
  });
  it('says the whole list', () => {
    expect(approversInWords(['owners', 'admins', 'group:default/dba'], 'component:default/checkout', 'group:default/payments')).toBe(
      'the owners of checkout (members of group:default/payments), Pont’s admins or members of group:default/dba',
    );
    expect(approversInWords([])).toBe('');
  });
  it('names a target without its implied kind', () => {
    expect(targetName('component:default/checkout')).toBe('checkout');
    expect(targetName('api:pay/v1')).toBe('pay/v1');
  });
});
