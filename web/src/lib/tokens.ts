// API tokens: the choices offered when minting one, and how a token's
// state reads in the list.

export const lifetimes = [
  { value: '24h', label: '1 day' },
  { value: '168h', label: '7 days' },
  { value: '720h', label: '30 days' },
  { value: '2160h', label: '90 days' },
  { value: '', label: 'Pont’s default' },
] as const;

export interface TokenDraft {
  name: string;
  read: boolean;
  write: boolean;
  expiresIn: string;
}

/** tokenInput is the createAPIToken input for a draft, or a sentence saying what to fix. */
export function tokenInput(d: TokenDraft): { input: { name: string; scopes: string[]; expiresIn?: string } } | { problem: string; field: 'name' | 'scopes' } {
  const name = d.name.trim();
  if (!name) return { problem: 'Give the token a name, so you recognise it in the list later.', field: 'name' };
  if (name.length > 100) return { problem: 'Keep the name under 100 characters.', field: 'name' };
  const scopes = [...(d.read ? ['read'] : []), ...(d.write ? ['write'] : [])];
  if (scopes.length === 0) return { problem: 'Choose at least one scope.', field: 'scopes' };
  return { input: { name, scopes, ...(d.expiresIn ? { expiresIn: d.expiresIn } : {}) } };
}

export type TokenState = 'active' | 'revoked' | 'expired';

/** tokenState is whether a token still works. */
export function tokenState(t: { revokedAt?: string | null; expiresAt: string }, now: Date = new Date()): TokenState {
  if (t.revokedAt) return 'revoked';
  const exp = Date.parse(t.expiresAt);
  if (!Number.isNaN(exp) && exp <= now.getTime()) return 'expired';
  return 'active';
}
