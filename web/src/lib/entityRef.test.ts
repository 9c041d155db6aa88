import { describe, expect, it } from 'vitest';
import { entityPath, formatRef, parseRef, shortRef } from './entityRef';

describe('parseRef', () => {
  it.each([
    ['component:default/checkout', { kind: 'component', namespace: 'default', name: 'checkout' }],
    ['checkout', { kind: 'component', namespace: 'default', name: 'checkout' }],
    ['Group:team-a', { kind: 'group', namespace: 'default', name: 'team-a' }],
    ['ops/checkout', { kind: 'component', namespace: 'ops', name: 'checkout' }],
    ['api:ops/pay.v1', { kind: 'api', namespace: 'ops', name: 'pay.v1' }],
    ['resource:default/db:primary', { kind: 'resource', namespace: 'default', name: 'db:primary' }],
  ])('%s', (ref, want) => {
    expect(parseRef(ref)).toEqual(want);
  });
  it('takes another default kind', () => {
    expect(parseRef('team-a', 'group').kind).toBe('group');
  });
});

describe('formatRef, shortRef, entityPath', () => {
  it('formats', () => {
    expect(formatRef({ kind: 'Component', namespace: 'default', name: 'x' })).toBe('component:default/x');
  });
  it('shortens', () => {
    expect(shortRef('group:default/team-a', 'Group')).toBe('team-a');
    expect(shortRef('group:default/team-a')).toBe('group:team-a');
    expect(shortRef('group:ops/team-a', 'group')).toBe('ops/team-a');
    expect(shortRef('team-a', 'group')).toBe('team-a');
  });
  it('escapes path segments', () => {
    expect(entityPath('component:default/a b')).toBe('/catalog/default/component/a%20b');
    expect(entityPath('API:default/pay.v1')).toBe('/catalog/default/api/pay.v1');
    expect(entityPath('team-a', 'group')).toBe('/catalog/default/group/team-a');
  });
});
