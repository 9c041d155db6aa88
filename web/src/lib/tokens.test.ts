import { describe, expect, it } from 'vitest';
import { tokenInput, tokenState } from './tokens';

describe('tokenInput', () => {
  it('builds the input', () => {
    expect(tokenInput({ name: ' ci ', read: true, write: true, expiresIn: '24h' })).toEqual({ input: { name: 'ci', scopes: ['read', 'write'], expiresIn: '24h' } });
    expect(tokenInput({ name: 'ci', read: true, write: false, expiresIn: '' })).toEqual({ input: { name: 'ci', scopes: ['read'] } });
  });
  it('says what to fix', () => {
    expect(tokenInput({ name: ' ', read: true, write: false, expiresIn: '' })).toMatchObject({ field: 'name' });
    expect(tokenInput({ name: 'x', read: false, write: false, expiresIn: '' })).toMatchObject({ field: 'scopes' });
  });
});

describe('tokenState', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  it.each([
    [{ expiresAt: '2026-04-01T00:00:00Z' }, 'active'],
    [{ expiresAt: '2026-02-01T00:00:00Z' }, 'expired'],
    [{ expiresAt: '2026-04-01T00:00:00Z', revokedAt: '2026-02-15T00:00:00Z' }, 'revoked'],
  ])('%j', (t, want) => {
    expect(tokenState(t, now)).toBe(want);
  });
});
