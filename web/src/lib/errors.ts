// What the UI tells a user about a failed request: a sentence that says
// what to do, from the GraphQL error's extensions.code.

export interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown> | undefined;
}

export interface ErrorLike {
  networkError?: { message: string } | undefined;
  graphQLErrors?: GraphQLErrorLike[] | undefined;
  response?: { status?: number } | undefined;
}

export type Problem =
  | { kind: 'signIn'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'notFound'; message: string }
  | { kind: 'input'; message: string; fields: Record<string, string> }
  | { kind: 'limit'; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'other'; message: string };

export function codeOf(e: GraphQLErrorLike): string {
  const c = e.extensions?.code;
  return typeof c === 'string' ? c : '';
}

/** fieldErrors collects BAD_USER_INPUT errors by field (extensions.field, or each of extensions.fields). */
export function fieldErrors(errors: GraphQLErrorLike[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    if (codeOf(e) !== 'BAD_USER_INPUT') continue;
    const fields = e.extensions?.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      for (const [k, v] of Object.entries(fields as Record<string, unknown>)) out[k] ??= typeof v === 'string' ? v : e.message;
    } else if (Array.isArray(fields)) {
      for (const f of fields) {
        if (f && typeof f === 'object' && 'field' in f) {
          const ff = f as { field: unknown; message?: unknown; reason?: unknown };
          const msg = typeof ff.message === 'string' ? ff.message : typeof ff.reason === 'string' ? ff.reason : e.message;
          if (typeof ff.field === 'string') out[ff.field] ??= msg;
        }
      }
    }
    const field = e.extensions?.field;
    if (typeof field === 'string' && field) out[field] ??= e.message;
  }
  return out;
}

export function describeError(err: ErrorLike): Problem {
  const gql = err.graphQLErrors ?? [];
  const status = err.response?.status;
  for (const e of gql) {
    switch (codeOf(e)) {
      case 'UNAUTHENTICATED':
        return { kind: 'signIn', message: 'You are not signed in. Sign in to see the catalog.' };
      case 'FORBIDDEN':
        return { kind: 'forbidden', message: `${e.message} Ask an admin of Pont or the owner for access.` };
      case 'NOT_FOUND':
        return { kind: 'notFound', message: 'Not found, or you may not see it. Check the name, or search for it.' };
      case 'BAD_USER_INPUT':
        return { kind: 'input', message: e.message, fields: fieldErrors(gql) };
      case 'LIMIT_EXCEEDED':
      case 'COMPLEXITY_LIMIT_EXCEEDED':
        return { kind: 'limit', message: `${e.message} Narrow the request (fewer rows or hops).` };
      case 'TIMEOUT':
        return { kind: 'unavailable', message: 'Pont took too long to answer. Try again, or narrow the request.' };
    }
  }
  if (status === 401) return { kind: 'signIn', message: 'You are not signed in. Sign in to see the catalog.' };
  if (status === 403) return { kind: 'forbidden', message: 'Pont refused the request. Reload the page; if it persists, sign in again.' };
  if (err.networkError) {
    return { kind: 'unavailable', message: 'Pont cannot be reached. Check your connection and try again.' };
  }
  const first = gql[0];
  return { kind: 'other', message: first ? first.message : 'Something went wrong. Try again.' };
}
