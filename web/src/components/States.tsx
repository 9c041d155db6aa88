// Loading, empty and error states: each says what is going on and what
// the user can do next.

import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../lib/errors';
import { signInHref } from './User';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: CombinedError; retry?: () => void }) {
  const p = describeError({ ...error, response: error.response as { status?: number } | undefined });
  return (
    <div className="state error" role="alert">
      <p className="state-title">{p.kind === 'signIn' ? 'Sign in to continue' : 'That did not work'}</p>
      <p>{p.message}</p>
      <p className="actions">
        {p.kind === 'signIn' && (
          <a className="button primary" href={signInHref()}>
            Sign in
          </a>
        )}
        {retry && p.kind !== 'signIn' && p.kind !== 'notFound' && (
          <button type="button" className="button" onClick={retry}>
            Try again
          </button>
        )}
      </p>
    </div>
  );
}
