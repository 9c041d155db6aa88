import { describe, expect, it } from 'vitest';
import { describeError, fieldErrors } from './errors';

describe('describeError', () => {
  it.each([
    [{ graphQLErrors: [{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }] }, 'signIn'],
    [{ graphQLErrors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }, 'forbidden'],
    [{ graphQLErrors: [{ message: 'x', extensions: { code: 'NOT_FOUND' } }] }, 'notFound'],
    [{ graphQLErrors: [{ message: 'slow', extensions: { code: 'TIMEOUT' } }] }, 'unavailable'],
    [{ graphQLErrors: [{ message: 'big', extensions: { code: 'COMPLEXITY_LIMIT_EXCEEDED' } }] }, 'limit'],
    [{ networkError: { message: 'Failed to fetch' } }, 'unavailable'],
    [{ networkError: { message: 'Unauthorized' }, response: { status: 401 } }, 'signIn'],
    [{ graphQLErrors: [{ message: 'weird' }] }, 'other'],
  ])('%j is %s', (err, kind) => {
    expect(describeError(err).kind).toBe(kind);
  });
  it('keeps the server message of an unknown error', () => {
    expect(describeError({ graphQLErrors: [{ message: 'weird' }] }).message).toBe('weird');
  });
});

describe('fieldErrors', () => {
  it('reads extensions.field and extensions.fields', () => {
    expect(
      fieldErrors([
        { message: 'bad name', extensions: { code: 'BAD_USER_INPUT', field: 'name' } },
        { message: 'bad input', extensions: { code: 'BAD_USER_INPUT', fields: { '/replicas': 'must be <= 5', '/name': 'dup' } } },
        { message: 'list', extensions: { code: 'BAD_USER_INPUT', fields: [{ field: '/size', message: 'too big' }] } },
        { message: 'other', extensions: { code: 'FORBIDDEN', field: 'x' } },
      ]),
    ).toEqual({ name: 'bad name', '/replicas': 'must be <= 5', '/name': 'dup', '/size': 'too big' });
  });
});
