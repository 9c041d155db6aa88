// The signed-in user in the header: who, and signing in or out.

import { useState, type FormEvent } from 'react';
import type { ViewerQuery } from '../gql/graphql';
import { entityPath } from '../lib/entityRef';
import { Link } from '../lib/nav';

export function signInHref(): string {
  const back = window.location.pathname + window.location.search;
  return `/auth/login?returnTo=${encodeURIComponent(back)}`;
}

// Signing out is a POST (the server checks its origin). With JavaScript
// the answer is JSON naming where to go next, which may be the identity
// provider's logout page: navigating there is not a form submission, so
// the page's form-action 'self' does not get in the way.
async function signOut(e: FormEvent<HTMLFormElement>, setBusy: (b: boolean) => void) {
  e.preventDefault();
  setBusy(true);
  try {
    const res = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const body = (await res.json()) as { redirect?: string };
    window.location.assign(body.redirect || '/');
  } catch {
    window.location.assign('/');
  }
}

export function UserMenu({ viewer, signedOut }: { viewer?: ViewerQuery['viewer'] | undefined; signedOut: boolean }) {
  const [busy, setBusy] = useState(false);
  if (signedOut) {
    return (
      <a className="button primary" href={signInHref()}>
        Sign in
      </a>
    );
  }
  if (!viewer) return null;
  const name = viewer.name || viewer.email || viewer.user || 'you';
  return (
    <div className="user">
      <span className="user-name">
        {viewer.user ? (
          <Link href={entityPath(viewer.user)} title={`Your catalog page: ${viewer.user}`}>
            {name}
          </Link>
        ) : (
          name
        )}
        {viewer.admin && <span className="badge">admin</span>}
      </span>
      {viewer.kind === 'local' ? (
        <span className="muted" title="Sign-in is not configured: Pont serves this machine only, as a local admin.">
          local, sign-in off
        </span>
      ) : (
        <form method="post" action="/auth/logout" onSubmit={(e) => void signOut(e, setBusy)}>
          <button type="submit" className="button subtle" disabled={busy}>
            Sign out
          </button>
        </form>
      )}
    </div>
  );
}
